using System.CommandLine;

namespace Tributary.Cli.Commands.Flows;

/// <summary><c>tributary flows …</c>: stateful TCP flow monitoring (DESIGN.md "Flows").</summary>
internal static class FlowsCommand
{
    public static Command Create()
    {
        var cmd = new Command("flows", "Stateful TCP flow monitoring: mOS-style traces, per-flow summaries, statistics, a connection table, a first-SYN firewall, NAT, MPTCP connections, IPFIX export.");
        cmd.Subcommands.Add(FlowsTraceCommand.Create());
        cmd.Subcommands.Add(FlowsSummaryCommand.Create());
        cmd.Subcommands.Add(FlowsStatsCommand.Create());
        cmd.Subcommands.Add(FlowsMidstatCommand.Create());
        cmd.Subcommands.Add(FlowsFirewallCommand.Create());
        cmd.Subcommands.Add(FlowsNatCommand.Create());
        cmd.Subcommands.Add(FlowsMptcpCommand.Create());
        cmd.Subcommands.Add(FlowsExportCommand.Create());
        return cmd;
    }
}
