using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public unsafe class LinearKernelsTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 17, 5)]
    [InlineData(3, 64, 10)]
    public void GemmVersionsMatchDefinitionAndDoubleReference(int n, int k, int m)
    {
        var x = Random(n * k, 1);
        var w = Random(m * k, 2);
        var b = Random(m, 3);
        var dy = Random(n * m, 4);
        var refY = new double[n * m];
        var refDx = new double[n * k];
        var refDw = new double[m * k];
        var refDb = new double[m];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
        {
            refY[i * m + j] = b[j];
            refDb[j] += dy[i * m + j];
            for (int p = 0; p < k; p++)
            {
                refY[i * m + j] += (double)x[i * k + p] * w[j * k + p];
                refDx[i * k + p] += (double)dy[i * m + j] * w[j * k + p];
                refDw[j * k + p] += (double)dy[i * m + j] * x[i * k + p];
            }
        }
        var y = new float[n * m];
        var dx = new float[n * k];
        var dw = new float[m * k];
        var db = new float[m];
        LinearKernels.ForwardScalar(n, k, m, x, w, b, y);
        LinearKernels.BackwardScalar(n, k, m, x, w, dy, dx, dw, db);
        AssertClose(y, refY, 1e-5, "scalar y");
        AssertClose(dx, refDx, 1e-5, "scalar ∂x");
        AssertClose(dw, refDw, 1e-5, "scalar ∂W");
        AssertClose(db, refDb, 1e-5, "scalar ∂b");
        var fy = new float[n * m];
        var fdx = new float[n * k];
        var fdw = new float[m * k];
        var fdb = new float[m];
        fixed (float* px = x, pw = w, pb = b, pdy = dy, py = fy, pdx = fdx, pdw = fdw, pdb = fdb)
        {
            LinearKernels.Forward(n, k, m, px, pw, pb, py, null);
            LinearKernels.Backward(n, k, m, px, pw, pdy, pdx, pdw, pdb, null);
        }
        AssertClose(fy, refY, 1e-5, "gemm y");
        AssertClose(fdx, refDx, 1e-5, "gemm ∂x");
        AssertClose(fdw, refDw, 1e-5, "gemm ∂W");
        AssertClose(fdb, refDb, 1e-5, "gemm ∂b");
    }
}
