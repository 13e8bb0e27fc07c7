namespace Elide.Onnx.Import.Handlers;

/// <summary>Identity and inference-mode Dropout: the output is bound to the input (no node).</summary>
internal static class IdentityHandlers
{
    public static void Identity(NodeContext n) => n.SetRuntime(0, n.Input(0));

    /// <summary>
    /// Dropout at inference is the identity. The mask output (a bool tensor) and training mode (opset 12+'s
    /// training_mode input, when true) are not supported.
    /// </summary>
    public static void Dropout(NodeContext n)
    {
        if (n.HasOutput(1)) throw NodeContext.Unsupported("the mask output");
        if (n.Opset >= 12 && n.HasInput(2))
        {
            var training = n.StaticInts(2, "training_mode");
            if (training.Any(v => v != 0)) throw NodeContext.Unsupported("training_mode = true");
        }
        n.SetRuntime(0, n.Input(0));
    }
}
