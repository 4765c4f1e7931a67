using System.CommandLine;

namespace Tributary.Cli.Commands;

internal static class LinksCommand
{
    public static Command Create()
    {
        var cmd = new Command("links", "Watch network interfaces and addresses (mptcpd's network monitor).");
        return cmd;
    }
}
