using Tributary.Capture;
using Tributary.Capture.Live;

namespace Tributary.Cli;

/// <summary>
/// A fault of the input met while reading it (DESIGN.md "Bad input"): everything before it is processed and printed,
/// then one line names it, exit 1. A corrupt or truncated file's message names the file and the offset; a failed live
/// capture's (its interface went down or away) names the operation, so the interface goes first.
/// </summary>
internal static class InputFault
{
    public static bool Is(Exception ex) => ex is CaptureFileException or CaptureSystemException;

    public static string Describe(Exception ex, string? interfaceName) =>
        ex is CaptureSystemException ? $"{interfaceName}: {ex.Message}" : ex.Message;
}
