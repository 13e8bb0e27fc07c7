using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public unsafe class ReluBackwardTests
{
    [Fact]
    public void VectorMatchesDefinitionForEveryLengthUpTo67()
    {
        for (int length = 0; length <= 67; length++)
        {
            var y = Random(length, length, -1f, 1f);
            if (length > 3) { y[1] = 0f; y[2] = -0f; y[3] = float.NaN; }
            var dy = Random(length, length + 1000);
            var expected = new float[length];
            ReluBackward.BackwardScalar(y, dy, expected);
            var actual = new float[length];
            fixed (float* py = y, pdy = dy, pdx = actual) ReluBackward.Backward(py, pdy, pdx, length);
            Assert.Equal(expected, actual);
            for (int i = 0; i < length; i++) Assert.Equal(y[i] > 0 ? dy[i] : 0f, expected[i]);
        }
    }
}
