using Elide.Adaptive;
using Elide.Server.Adaptive;

namespace Elide.Server.Tests;

/// <summary>The adaptive controller on a synthetic ladder with exact latencies (no timing involved).</summary>
public sealed class ControllerTests
{
    /// <summary>Four levels; a batch of b images takes (10 − 2·level) ms per image, plan sizes 1, 2, 4. The latency
    /// model's clock stands still unless a test moves it.</summary>
    private static OperatingLadder Ladder(Func<double>? clockMs = null)
    {
        var sizes = LatencyModel.PlanSizesFor(4);
        long[] macs = [10, 8, 6, 4];
        var calibration = sizes.Select(b => (IReadOnlyList<(long, double)>)[(10L, 10.0 * b), (4L, 4.0 * b)]).ToList();
        var points = macs.Select((m, l) => new ServingPoint(l, SkipMask.All(3).With(0, l == 0), 0.9 - 0.01 * l, null, m)).ToList();
        return OperatingLadder.Create(points, new LatencyModel(sizes, macs, calibration, clockMs ?? (() => 0)));
    }

    [Fact]
    public void AStalledMeasurementFadesBackToTheMachinesSpeed()
    {
        double now = 0;
        var model = Ladder(() => now).Latency;
        // One batch of 4 at full depth measured during a stall: 200 ms against the 40 the calibration predicts.
        model.Observe(0, 2, 200);
        Assert.Equal(200, model.PredictMs(0, 2), 9);
        // The machine is back to its calibrated speed: other levels run as calibrated while level 0 is avoided.
        for (int i = 0; i < 100; i++)
        {
            now += 100;
            model.Observe(3, 2, 16);
        }
        Assert.InRange(model.PredictMs(0, 2), 40, 42); // 10 s later: the stalled figure has faded out (e^-5 of it left)
        // An unobserved pair at the stall's moment followed the rescaled line instead.
        Assert.InRange(model.PredictMs(1, 2), 32, 33);
        // Measured again, it takes the fresh figure into a mean that starts from the faded one (≈ 43 ms once this
        // observation has nudged the line up too), not from 200.
        model.Observe(0, 2, 50);
        double fresh = model.PredictMs(0, 2);
        Assert.InRange(fresh, 0.8 * 41 + 0.2 * 50, 0.8 * 45 + 0.2 * 50);
        // A pair measured moments ago keeps its own mean.
        now += 10;
        Assert.Equal(fresh, model.PredictMs(0, 2), 0.1);
    }

    private static AdaptiveController Controller(OperatingLadder ladder) =>
        new(ladder, sloMs: 100, headroom: 0.8, recoveryFraction: 0.5, recoveryHoldMs: 500, maxBatch: 4);

    private static QueuedWork[] Queue(int requests, double ageMs = 0) => Enumerable.Repeat(new QueuedWork(ageMs, 1), requests).ToArray();

    [Fact]
    public void LatencyModelFitsALineInMacsAndPrefersObservations()
    {
        var ladder = Ladder();
        Assert.Equal([1, 2, 4], ladder.Latency.PlanSizes);
        Assert.Equal(40, ladder.Latency.PredictMs(0, 2), 9);
        Assert.Equal(32, ladder.Latency.PredictMs(1, 2), 9);
        ladder.Latency.Observe(1, 2, 50);
        Assert.Equal(50, ladder.Latency.PredictMs(1, 2), 9);
        Assert.True(ladder.Latency.PredictMs(0, 2) > 40); // unseen pairs follow the machine's measured slowdown
        Assert.Equal(2, ladder.Latency.SizeIndexAtMost(7));
        Assert.Equal(1, ladder.Latency.SizeIndexAtLeast(2));
        Assert.Equal(2, ladder.Latency.SizeIndexAtLeast(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ladder.Latency.SizeIndexAtLeast(5));
        Assert.Equal([1, 2, 4, 6], LatencyModel.PlanSizesFor(6));
    }

    [Fact]
    public void PredictionSimulatesTheBatcherGrouping()
    {
        var controller = Controller(Ladder());
        // 5 requests: a batch of 4 (40 ms) then one of 1 (10 ms); the last finishes at 50 ms plus its age.
        var queue = new[] { new QueuedWork(30, 1), new QueuedWork(20, 1), new QueuedWork(10, 1), new QueuedWork(5, 1), new QueuedWork(1, 1) };
        Assert.Equal(70, controller.PredictWorstMs(0, queue), 9); // first request: 30 + 40
        Assert.Equal(4, AdaptiveController.TakeCount(queue, 0, 5, Ladder().Latency, out int images));
        Assert.Equal(4, images);
        Assert.Equal(1, AdaptiveController.TakeCount(queue, 4, 1, Ladder().Latency, out _));
    }

    [Fact]
    public void LightLoadKeepsFullDepth()
    {
        var controller = Controller(Ladder());
        var d = controller.Decide(Queue(1), 0);
        Assert.Equal(0, d.Level);
        Assert.Equal(ControllerAction.Hold, d.Action);
    }

    [Fact]
    public void OverloadDegradesOneLevelPerBatchUnlessTheSloItselfWouldBeMissed()
    {
        var controller = Controller(Ladder());
        // 8 requests: level 0 finishes at 80 ms (> 80 budget? equal: fits); 9 requests with age 5: 5 + 40+40+10 = 95 > 80.
        var queue = Queue(9, 5);
        Assert.Equal(95, controller.PredictWorstMs(0, queue), 9);
        var d = controller.Decide(queue, 0);
        Assert.Equal(ControllerAction.Degrade, d.Action);
        Assert.Equal(1, d.Level);
        Assert.True(d.RequiredLevel >= 1);

        // A queue the current level would finish only after the SLO: jump straight to the deepest level that meets
        // the SLO (not the planning budget, which gradual moves use). 10 requests aged 30 in batches 4+4+2 (+1 new):
        // level 0: 30 + 100 = 130 > 100; level 1 (8 ms/image): 30 + 80 = 110; level 2 (6): 30 + 60 = 90 ≤ 100 but > 80;
        // level 3 (4): 70 ≤ 80 is the required level.
        var fresh = Controller(Ladder());
        var jam = Queue(10, 30);
        var e = fresh.Decide(jam, 0);
        Assert.Equal(ControllerAction.EmergencyDegrade, e.Action);
        Assert.Equal(3, e.RequiredLevel);
        Assert.Equal(2, e.Level);
        Assert.Equal(90, fresh.PredictWorstMs(2, jam), 9);
    }

    [Fact]
    public void LatencyFeedbackShrinksThePlanningBudget()
    {
        // 5 fresh requests at level 0: batches of 4 and 1 (40 + 10 ms), a new arrival after them 10 more: 60 ≤ 80.
        var queue = Queue(5);
        Assert.Equal(ControllerAction.Hold, Controller(Ladder()).Decide(queue, 0).Action);

        // Requests finishing 46 ms behind their predictions: the budget becomes 0.9 × 100 − 46 = 44 ms; level 0 (60)
        // and level 1 (32 + 8 + 8 = 48) no longer fit, level 2 (24 + 6 + 6 = 36) does. Degradation stays gradual.
        var guard = new TailGuard(sloMs: 100, budgetMs: 80);
        for (int i = 0; i < TailGuard.Refresh; i++) guard.Record(56, 10);
        Assert.Equal(44 / 80.0, guard.Scale, 9);
        var guarded = new AdaptiveController(Ladder(), sloMs: 100, headroom: 0.8, recoveryFraction: 0.5, recoveryHoldMs: 500, maxBatch: 4, guard);
        var d = guarded.Decide(queue, 0);
        Assert.Equal(ControllerAction.Degrade, d.Action);
        Assert.Equal(1, d.Level);
        Assert.Equal(2, d.RequiredLevel);
    }

    [Fact]
    public void ARequestAlreadyLateAtEveryLevelDoesNotDragTheRestToTheFastest()
    {
        // One request waited 120 ms (past the 100 ms SLO whatever runs), three fresh ones behind it: one batch of 4.
        // At level 0 the batch takes 40 ms, so the fresh ones finish at 41 ms and a request arriving now (a batch of
        // one after it) at 50 ms, inside the 80 ms budget.
        var queue = new[] { new QueuedWork(120, 1), new QueuedWork(1, 1), new QueuedWork(1, 1), new QueuedWork(1, 1) };
        var controller = Controller(Ladder());
        Assert.Equal(160, controller.PredictWorstMs(0, queue), 9);
        Assert.Equal(50, controller.PredictWorstMs(0, queue, excludeLate: true), 9);
        var d = controller.Decide(queue, 0);
        Assert.Equal(0, d.RequiredLevel);
        Assert.Equal(0, d.Level);
        Assert.Equal(ControllerAction.Hold, d.Action);

        // Fresh requests that do need a faster level still get it: 12 behind the late one (13 images: 4+4+4+1).
        var busy = new[] { new QueuedWork(120, 1) }.Concat(Queue(12, 1)).ToArray();
        var e = Controller(Ladder()).Decide(busy, 0);
        Assert.True(e.Level > 0);
        Assert.True(Controller(Ladder()).PredictWorstMs(e.Level, busy, excludeLate: true) <= 100); // an emergency: meets the SLO

        // Everyone late but the queue short: nothing to save, and a new arrival (after 30 ms of batches, +10) fits at
        // full depth, so the level holds instead of collapsing to the fastest.
        Assert.Equal(0, Controller(Ladder()).Decide(Queue(3, 150), 0).Level);
    }

    [Fact]
    public void NeverGoesBeyondTheFastestLevel()
    {
        var controller = Controller(Ladder());
        var hopeless = Queue(200, 90);
        for (int i = 0; i < 10; i++) controller.Decide(hopeless, i);
        Assert.Equal(3, controller.Level);
    }

    [Fact]
    public void RecoveryWaitsForTheHoldAndTheTighterBudget()
    {
        var controller = Controller(Ladder());
        controller.Decide(Queue(12, 30), 0); // emergency to a fast level
        int degraded = controller.Level;
        Assert.True(degraded > 0);

        var light = Queue(1);
        Assert.Equal(ControllerAction.Hold, controller.Decide(light, 10).Action);  // low load starts the hold
        Assert.Equal(ControllerAction.Hold, controller.Decide(light, 400).Action); // not yet 500 ms
        var r = controller.Decide(light, 520);
        Assert.Equal(ControllerAction.Recover, r.Action);
        Assert.Equal(0, r.Level); // nothing arrives and full depth fits 50 ms: straight back, not a level per hold
        Assert.Equal(ControllerAction.Hold, controller.Decide(light, 600).Action);

        // Load between the recovery budget (50 ms) and the planning budget (80 ms) holds the level: hysteresis.
        var mid = Controller(Ladder());
        mid.Decide(Queue(12, 30), 0);
        int level = mid.Level;
        var moderate = Queue(4, 30); // every level fits 80 ms, but level l−1 needs 54 ms > 50
        for (double t = 0; t < 3000; t += 100) mid.Decide(moderate, t);
        Assert.True(mid.PredictWorstMs(level - 1, moderate) > 50);
        Assert.Equal(level, mid.Level);
    }

    [Fact]
    public void RecoveryJumpsToTheDeepestLevelThatFitsTheRecoveryBudget()
    {
        var controller = Controller(Ladder());
        controller.Decide(Queue(12, 30), 0);
        Assert.Equal(3, controller.Level);
        // Five queued images and one arriving: 60 ms at level 0 (over the 50 ms recovery budget, within the 80 ms
        // planning budget, so level 0 is required), 48 ms at level 1, 36 at level 2.
        var five = Queue(5);
        Assert.Equal(60, controller.PredictWorstMs(0, five, excludeLate: true), 9);
        Assert.Equal(48, controller.PredictWorstMs(1, five, excludeLate: true), 9);
        Assert.Equal(ControllerAction.Hold, controller.Decide(five, 10).Action);
        var r = controller.Decide(five, 520);
        Assert.Equal(ControllerAction.Recover, r.Action);
        Assert.Equal(0, r.RequiredLevel);
        Assert.Equal(1, r.Level);
    }

    [Fact]
    public void ArrivalRateEstimateFollowsASteadyStream()
    {
        var controller = Controller(Ladder());
        Assert.Equal(0, controller.ArrivalRatePerMs(0));
        Assert.Equal(0, controller.SustainableLevel(0));
        for (double t = 0; t <= 10_000; t += 10) controller.RecordArrival(1, t); // 0.1 images/ms
        Assert.InRange(controller.ArrivalRatePerMs(10_000), 0.095, 0.105);
        // Full-batch service rates: 4/40, 4/32, 4/24, 4/16 images/ms; 0.1 × 1.1 needs level 1 (0.125).
        Assert.Equal(1, controller.SustainableLevel(10_000));
        // Once arrivals stop the estimate decays and deeper levels become sustainable again.
        Assert.True(controller.ArrivalRatePerMs(20_000) < 0.01);
        Assert.Equal(0, controller.SustainableLevel(20_000));
    }

    [Fact]
    public void RecoveryStopsAtTheDeepestLevelThatKeepsUpWithTheArrivalRate()
    {
        // Arrivals at 0.14 images/ms: levels 0 (0.1) and 1 (0.125) cannot keep up, level 2 (0.167) can.
        var controller = Controller(Ladder());
        controller.Decide(Queue(12, 30), 0);
        Assert.Equal(3, controller.Level);
        double next = 0;
        for (double t = 0; t <= 20_000; t += 50)
        {
            for (; next <= t; next += 1 / 0.14) controller.RecordArrival(1, next);
            controller.Decide(Queue(1), t); // the queue alone looks light: a drained queue under sustained load
        }
        Assert.Equal(2, controller.SustainableLevel(20_000));
        Assert.Equal(2, controller.Level);

        // The same light queue without arrivals recovers all the way.
        var idle = Controller(Ladder());
        idle.Decide(Queue(12, 30), 0);
        for (double t = 0; t <= 20_000; t += 50) idle.Decide(Queue(1), t);
        Assert.Equal(0, idle.Level);
    }
}
