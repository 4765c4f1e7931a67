namespace Tributary.Capture;

/// <summary>
/// A capture file (or standard input) is corrupt, truncated, or not a capture: names the input and
/// the byte offset of the record or block where reading stopped. Every packet before that offset
/// has been delivered.
/// </summary>
public sealed class CaptureFileException : IOException
{
    public CaptureFileException(string path, long offset, string reason)
        : base($"{path}: {reason} at byte offset {offset}")
    {
        Path = path;
        Offset = offset;
        Reason = reason;
    }

    public CaptureFileException(string path, long offset, string reason, Exception inner)
        : base($"{path}: {reason} at byte offset {offset}", inner)
    {
        Path = path;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The file path, or <c>-</c> for standard input.</summary>
    public string Path { get; }

    /// <summary>Byte offset (from the start of the input) of the record or block that could not be read.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the path and offset (e.g. "truncated packet record: 1514 captured bytes announced, 200 present").</summary>
    public string Reason { get; }
}
