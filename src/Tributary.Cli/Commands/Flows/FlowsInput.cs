using Tributary.Capture;
using Tributary.Flows;

namespace Tributary.Cli.Commands.Flows;

/// <summary>Opens a capture for a flows command and turns input faults into one stderr line and exit 1 (DESIGN.md "Bad input").</summary>
internal static class FlowsInput
{
    public static int Run(string path, Func<IFrameSource, int> body)
    {
        CaptureFrameSource source;
        try
        {
            source = CaptureFrameSource.Open(path);
        }
        catch (CaptureFileException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException($"{path}: {ex.Message}");
        }
        using (source)
        {
            try
            {
                return body(source);
            }
            catch (CaptureFileException ex)
            {
                // Everything before the fault was processed and printed.
                throw new CommandLineException(ex.Message);
            }
        }
    }
}
