namespace Elide.Data;

/// <summary>
/// A dataset could not be found where it was looked for. The message says which paths were searched and what to
/// install or which path to pass instead.
/// </summary>
public sealed class DatasetNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="dataset">The dataset name or path that was requested.</param>
    /// <param name="message">What was looked for, where, and how to provide it.</param>
    public DatasetNotFoundException(string dataset, string message) : base(message) => Dataset = dataset;

    /// <summary>The dataset name or path that was requested.</summary>
    public string Dataset { get; }
}
