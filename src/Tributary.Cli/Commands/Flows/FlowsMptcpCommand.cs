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
        int status = 0;
        string? fault = null;
        using (PacketSource source = FlowsInput.Open(path, interfaceName, ct, out CancellationTokenRegistration stop))
        using (stop)
        {
            try
            {
                while (source.TryReadNext(out Packet p))
                    tracker.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                fault = InputFault.Describe(ex, interfaceName); // everything before the fault is reported, then the error
                status = CommandRunner.ExitFailure;
            }
            KernelCounts.Report(interfaceName, Console.Error, source);
        }
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
