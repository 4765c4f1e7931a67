using System.CommandLine;
using Tributary.Cli.Telemetry;
using Tributary.Mptcp.Daemon;

namespace Tributary.Cli.Commands.Mptcp;

/// <summary>
/// <c>tributary mptcpd</c>: the mptcpd-compatible daemon. Its argp-style messages and exit codes are a
/// contract (DESIGN.md), so Program.Main hands its arguments to <see cref="MptcpDaemon"/> before
/// System.CommandLine parses anything; the command registered here only lists it in <c>tributary --help</c>.
/// The daemon's <c>--otlp</c> export goes through the flow commands' exporter (<see cref="OtlpOptions.StartExporter"/>),
/// whose first call loads the OpenTelemetry SDK: without <c>--otlp</c> it is never called.
/// </summary>
internal static class MptcpdCommand
{
    public const string Name = "mptcpd";

    public static int Run(string[] args) => MptcpDaemon.RunWithSignals(args, OtlpOptions.StartExporter);

    public static Command Create()
    {
        var cmd = new Command(Name, "The Multipath TCP path-management daemon, compatible with mptcpd 0.12 (see 'tributary mptcpd --help').")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        cmd.SetAction(parse => Run([.. parse.UnmatchedTokens]));
        return cmd;
    }
}
