using System.CommandLine;

namespace Tributary.Cli.Commands.Capture;

/// <summary><c>tributary capture …</c>: the packet layer on the command line.</summary>
internal static class CaptureCommand
{
    public static Command Create()
    {
        var cmd = new Command("capture", "Read capture files or live interfaces (pcap, pcapng, AF_PACKET) and decode packets.");
        cmd.Subcommands.Add(CaptureStatsCommand.Create());
        return cmd;
    }
}
