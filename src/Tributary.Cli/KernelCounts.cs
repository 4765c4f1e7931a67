using System.Globalization;
using Tributary.Capture;
using Tributary.Capture.Live;

namespace Tributary.Cli;

/// <summary>
/// The line a live run ends with on stderr, as tcpdump ends with its "packets dropped by kernel": what the kernel
/// counted for the interface's captures. A dropped packet is one the results lack.
/// </summary>
internal static class KernelCounts
{
    /// <summary>Prints the counts of the live captures among <paramref name="sources"/> (nothing for a file).</summary>
    public static void Report(string? interfaceName, TextWriter error, params PacketSource[] sources)
    {
        long received = 0, dropped = 0;
        bool any = false;
        foreach (PacketSource source in sources)
        {
            if (source is not LiveCapture live)
                continue;
            try
            {
                LiveCaptureStatistics k = live.GetStatistics();
                received += k.Received;
                dropped += k.Dropped;
                any = true;
            }
            catch (CaptureSystemException)
            {
                return; // the socket can no longer tell: the counts are an extra, not the result
            }
        }
        if (any)
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tributary: {interfaceName}: kernel received {received} packets, dropped {dropped}"));
    }
}
