namespace Elide.IO;

/// <summary>
/// Thrown when a .npy file is malformed or uses a feature this reader does not support (big-endian or
/// Fortran-order data, unsupported dtypes). The message names the file and the problem.
/// </summary>
public sealed class NpyFormatException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public NpyFormatException(string message) : base(message) { }
}
