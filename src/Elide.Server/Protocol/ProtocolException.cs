namespace Elide.Server.Protocol;

/// <summary>A request the server refuses, with the HTTP status and a message naming the problem.</summary>
/// <param name="statusCode">400, 404, 413, 415, …</param>
/// <param name="message">Sent as <c>{"error": message}</c>.</param>
public sealed class ProtocolException(int statusCode, string message) : Exception(message)
{
    /// <summary>The HTTP status to answer with.</summary>
    public int StatusCode { get; } = statusCode;
}
