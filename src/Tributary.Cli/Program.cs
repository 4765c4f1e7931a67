using System.CommandLine;
using Tributary.Cli.Commands.Links;

namespace Tributary.Cli;

/// <summary>Entry point of the <c>tributary</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        RootCommand root = BuildRootCommand();
        return CommandRunner.Invoke(root.Parse(args));
    }

    /// <summary>The command tree: one subcommand per level of DESIGN.md, each defined in Commands/.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("Tributary: watch the network and act on what it sees (links, MPTCP paths, TCP flows).");
        root.Subcommands.Add(LinksCommand.Create());
        root.Subcommands.Add(Commands.Capture.CaptureCommand.Create());
        root.Subcommands.Add(Commands.Flows.FlowsCommand.Create());
        return root;
    }
}
