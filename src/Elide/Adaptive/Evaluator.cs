using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>Correct predictions out of a count.</summary>
/// <param name="Correct">Images whose largest logit is their label.</param>
/// <param name="Count">Images evaluated.</param>
public sealed record EvaluationResult(int Correct, int Count)
{
    /// <summary>Top-1 accuracy Correct / Count (0 for no images).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>
/// Top-1 accuracy of a model under a skip configuration, running the model's own plans (the mask costs nothing:
/// skipped blocks' steps are not executed). This is the reference evaluator; `elide eval --config` calls it.
/// </summary>
public sealed class Evaluator : IAccuracyEvaluator
{
    private readonly InferenceSession session;
    private readonly LabelledImages data;
    private readonly int batchSize;

    /// <summary>An evaluator of <paramref name="session"/>'s model on <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The model's input does not take images of the data's shape, or it has more than one input/output.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1.</exception>
    public Evaluator(InferenceSession session, LabelledImages data, int batchSize = 64)
    {
        this.session = session ?? throw new ArgumentNullException(nameof(session));
        this.data = data ?? throw new ArgumentNullException(nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.batchSize = batchSize;
        if (session.Graph.Inputs.Count != 1 || session.Graph.Outputs.Count != 1)
            throw new ArgumentException($"evaluation needs one input and one output; the model has {session.Graph.Inputs.Count} and {session.Graph.Outputs.Count}");
        var declared = session.Graph.Inputs[0].Shape;
        if (declared is { Rank: 4 } && (Mismatch(declared[1], data.Shape.Channels) || Mismatch(declared[2], data.Shape.Height) || Mismatch(declared[3], data.Shape.Width)))
            throw new ArgumentException($"the model's input {declared} does not take {data.Shape} images");
    }

    private static bool Mismatch(int declared, int actual) => declared >= 0 && declared != actual;

    /// <inheritdoc/>
    public int BlockCount => session.Blocks.Count;

    /// <inheritdoc/>
    public bool CanSkip(int block) => session.Blocks[block].Skippable;

    /// <summary>Correct predictions under <paramref name="mask"/> (null: all blocks).</summary>
    /// <param name="mask">The configuration.</param>
    /// <param name="progress">Fraction of images done (0..1).</param>
    /// <exception cref="ArgumentException">The mask does not fit the model.</exception>
    public EvaluationResult Evaluate(SkipMask? mask, Action<double>? progress = null)
    {
        int size = data.Shape.Size, correct = 0;
        float[]? logits = null;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            var plan = session.GetPlan(new Shape(count, data.Shape.Channels, data.Shape.Height, data.Shape.Width));
            int classes = (int)(plan.OutputShapes[0].ElementCount / count);
            if (logits is null || logits.Length < count * classes) logits = new float[batchSize * classes];
            plan.Run(data.Pixels.AsSpan(start * size, count * size), logits.AsSpan(0, count * classes), mask);
            correct += CountCorrect(logits.AsSpan(0, count * classes), classes, data.Labels.AsSpan(start, count));
            progress?.Invoke((start + count) / (double)data.Count);
        }
        return new EvaluationResult(correct, data.Count);
    }

    /// <inheritdoc/>
    public IReadOnlyList<double> Evaluate(IReadOnlyList<SkipMask> masks) => masks.Select(m => Evaluate(m).Accuracy).ToArray();

    /// <summary>How many rows of <paramref name="logits"/> (row-major, <paramref name="classes"/> wide) have their
    /// largest value (first on ties) at the label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct;
    }
}
