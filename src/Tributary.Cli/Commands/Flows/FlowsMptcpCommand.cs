using System.CommandLine;
using Tributary.Capture;
using Tributary.Flows.Applications.Mptcp;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows mptcp (CAPTURE | --interface IF) [--format tsv|json]</c>: one row per MPTCP connection seen on
/// the wire, its subflows named by tshark's <c>tcp.stream</c> index (README.md "flows mptcp").
/// </summary>
internal static class FlowsMptcpCommand
{
    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var format = new Option<string>("--format") { Description = "Output format.", HelpName = "tsv|json", DefaultValueFactory = _ => "tsv" };
        format.AcceptOnlyFromAmong("tsv", "json");
        var cmd = new Command("mptcp", "One row per MPTCP connection: subflows grouped by MP_CAPABLE keys and MP_JOIN tokens, ADD_ADDR/REMOVE_ADDR, DATA_FIN, fast close, bytes per direction; fallbacks and orphan joins too.")
        {
            capture, format, iface,
        };
        FlowsInput.Validate(cmd, capture, iface);
        cmd.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(capture), parse.GetValue(iface), parse.GetValue(format) == "json", ct)));
        return cmd;
    }

    private static int Run(string? path, string? interfaceName, bool json, CancellationToken ct)
    {
        var tracker = new MptcpConnectionTracker();
        // Everything before an input fault is reported, then the fault.
        string? fault = FlowsInput.ReadAll(path, interfaceName, ct, (in Packet p) => tracker.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds));
        int status = fault is null ? 0 : CommandRunner.ExitFailure;
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
        {
            MptcpConnectionWriter.WriteJson(stdout, tracker.Connections);
        }
        else
        {
            using var w = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
            MptcpConnectionWriter.WriteTsv(w, tracker.Connections);
        }
        if (fault is not null)
            Console.Error.WriteLine($"tributary: {fault}");
        return status;
    }
}
