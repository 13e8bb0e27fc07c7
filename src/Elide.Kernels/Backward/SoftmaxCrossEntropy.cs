namespace Elide.Kernels;

/// <summary>
/// Mean softmax cross-entropy over a batch of logits z [N, K] with integer labels and label smoothing ε
/// (Szegedy et al. 2016, §7): the target is q = (1 − ε)·onehot(label) + ε/K, and
/// L = (1/N)·Σ_n −Σ_k q_nk·log softmax(z_n)_k, ∂L/∂z_nk = (softmax(z_n)_k − q_nk)/N.
/// </summary>
/// <remarks>
/// One definition only, evaluated in double with the max subtracted before exponentiating (so large logits do not
/// overflow): with K = 10 classes the loss costs nothing next to the network, so a vector version would buy nothing.
/// This matches PyTorch's <c>cross_entropy(z, y, label_smoothing=ε)</c> with mean reduction.
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>Returns the mean loss and writes softmax(z) into <paramref name="probabilities"/> [N, K].</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, K), or ε is outside [0, 1].</exception>
    public static double Forward(int batch, int classes, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float labelSmoothing,
        Span<float> probabilities)
    {
        Validate(batch, classes, labels, labelSmoothing);
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            var z = logits.Slice(n * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var v in z) max = Math.Max(max, v);
            double sumExp = 0;
            for (int k = 0; k < classes; k++) sumExp += Math.Exp(z[k] - max);
            double logSumExp = max + Math.Log(sumExp);
            double loss = 0;
            for (int k = 0; k < classes; k++)
            {
                double logP = z[k] - logSumExp;
                probabilities[n * classes + k] = (float)Math.Exp(logP);
                loss -= Target(k, labels[n], classes, labelSmoothing) * logP;
            }
            total += loss;
        }
        return batch == 0 ? 0 : total / batch;
    }

    /// <summary>∂z = upstream·(softmax(z) − q)/N from the probabilities the forward pass wrote.</summary>
    public static void Backward(int batch, int classes, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, float labelSmoothing,
        float upstream, Span<float> dLogits)
    {
        Validate(batch, classes, labels, labelSmoothing);
        double scale = upstream / (double)Math.Max(batch, 1);
        for (int n = 0; n < batch; n++)
        for (int k = 0; k < classes; k++)
        {
            int o = n * classes + k;
            dLogits[o] = (float)((probabilities[o] - Target(k, labels[n], classes, labelSmoothing)) * scale);
        }
    }

    private static double Target(int k, int label, int classes, float smoothing) =>
        (k == label ? 1.0 - smoothing : 0.0) + (double)smoothing / classes;

    private static void Validate(int batch, int classes, ReadOnlySpan<int> labels, float labelSmoothing)
    {
        if (labelSmoothing is < 0f or > 1f || float.IsNaN(labelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1]");
        for (int n = 0; n < batch; n++)
            if ((uint)labels[n] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[n], $"label of sample {n} is outside [0, {classes})");
    }
}
