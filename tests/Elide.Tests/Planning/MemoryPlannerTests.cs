using Elide.Planning;
using FsCheck;
using FsCheck.Fluent;

namespace Elide.Tests.Planning;

public class MemoryPlannerTests
{
    private static void AssertNoLiveOverlap(IReadOnlyList<BufferRequest> requests, long[] offsets, long arena)
    {
        for (int i = 0; i < requests.Count; i++)
        {
            Assert.Equal(0, offsets[i] % MemoryPlanner.AlignmentFloats);
            Assert.True(offsets[i] + requests[i].Floats <= arena, $"buffer {i} ends past the arena");
            for (int j = i + 1; j < requests.Count; j++)
            {
                if (!requests[i].OverlapsInTime(requests[j])) continue;
                bool disjoint = offsets[i] + requests[i].Floats <= offsets[j] || offsets[j] + requests[j].Floats <= offsets[i];
                Assert.True(disjoint, $"live buffers {i} {requests[i]} @ {offsets[i]} and {j} {requests[j]} @ {offsets[j]} overlap");
            }
        }
    }

    [Fact]
    public void RandomRequestsNeverOverlapWhileLive()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            var rng = new Random(seed);
            int count = rng.Next(0, 40);
            var requests = Enumerable.Range(0, count).Select(_ =>
            {
                int first = rng.Next(-1, 30);
                int last = rng.Next(4) == 0 ? int.MaxValue : first + rng.Next(0, 10);
                return new BufferRequest(rng.Next(0, 5000), first, last);
            }).ToList();
            var (offsets, arena) = MemoryPlanner.Plan(requests);
            AssertNoLiveOverlap(requests, offsets, arena);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ChainReusesMemory()
    {
        // a → b → c → d: each buffer lives for two consecutive steps, so two slots suffice.
        var requests = Enumerable.Range(0, 8).Select(i => new BufferRequest(1000, i - 1, i)).ToList();
        var (offsets, arena) = MemoryPlanner.Plan(requests);
        AssertNoLiveOverlap(requests, offsets, arena);
        Assert.True(arena <= 2 * 1008, $"arena {arena} should hold two 1000-float buffers");
    }

    [Fact]
    public void EmptyPlanHasEmptyArena()
    {
        var (offsets, arena) = MemoryPlanner.Plan([]);
        Assert.Empty(offsets);
        Assert.Equal(0, arena);
    }
}
