namespace Elide.Adaptive;

/// <summary>Small dense linear systems (the normal equations of cost fits: at most a few dozen unknowns).</summary>
internal static class LinearSolve
{
    /// <summary>
    /// Solves A·x = b for a symmetric positive semi-definite A by Gaussian elimination with partial pivoting, after
    /// adding a ridge of 1e-12·trace(A)/n to the diagonal so an unidentifiable unknown (a block no measurement
    /// separates) gets 0 instead of a division by zero.
    /// </summary>
    public static double[] Symmetric(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        double trace = 0;
        for (int i = 0; i < n; i++) trace += m[i, i];
        for (int i = 0; i < n; i++) m[i, i] += 1e-12 * Math.Max(trace / n, 1e-300);
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            if (pivot != col)
            {
                for (int c = 0; c < n; c++) (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            double d = m[col, col];
            if (d == 0) continue;
            for (int r = col + 1; r < n; r++)
            {
                double f = m[r, col] / d;
                if (f == 0) continue;
                for (int c = col; c < n; c++) m[r, c] -= f * m[col, c];
                x[r] -= f * x[col];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            double s = x[r];
            for (int c = r + 1; c < n; c++) s -= m[r, c] * x[c];
            x[r] = m[r, r] == 0 ? 0 : s / m[r, r];
        }
        return x;
    }
}
