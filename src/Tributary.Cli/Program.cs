using System.CommandLine;
using Tributary.Cli.Commands.Links;
using Tributary.Cli.Commands.Mptcp;

namespace Tributary.Cli;

/// <summary>Entry point of the <c>tributary</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // mptcpd's argp messages and exit codes are a contract: its arguments bypass System.CommandLine.
        if (args.Length > 0 && args[0] == MptcpdCommand.Name)
            return MptcpdCommand.Run(args[1..]);
        RootCommand root = BuildRootCommand();
        return CommandRunner.Invoke(root.Parse(args));
    }

    /// <summary>The command tree: one subcommand per level of DESIGN.md, each defined in Commands/.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("Tributary: watch the network and act on what it sees (links, MPTCP paths, TCP flows).");
        root.Subcommands.Add(LinksCommand.Create());
        root.Subcommands.Add(MptcpdCommand.Create());
        root.Subcommands.Add(Commands.Capture.CaptureCommand.Create());
        root.Subcommands.Add(Commands.Flows.FlowsCommand.Create());
        return root;
    }
}
