using System.CommandLine;
using Tributary.Capture;
using Tributary.Flows.Applications.Mptcp;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows mptcp (CAPTURE | --interface IF [--pm-check [--fail-on-discrepancy]]) [--format tsv|json]</c>: one row per MPTCP
/// connection seen on the wire, its subflows named by tshark's <c>tcp.stream</c> index; with <c>--pm-check</c>, the
/// wire compared with this namespace's path-manager events (README.md "flows mptcp").
/// </summary>
internal static class FlowsMptcpCommand
{
    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var format = new Option<string>("--format") { Description = "Output format.", HelpName = "tsv|json", DefaultValueFactory = _ => "tsv" };
        format.AcceptOnlyFromAmong("tsv", "json");
        var pmCheck = new Option<bool>("--pm-check")
        {
            Description = "With --interface: also watch this network namespace's MPTCP path manager (mptcp_pm events, endpoints) and report, per connection, where it and the wire agree or differ.",
        };
        var failOnDiscrepancy = new Option<bool>("--fail-on-discrepancy")
        {
            Description = "With --pm-check: exit 3 when the check found a discrepancy (for scripts and health checks).",
        };
        var cmd = new Command("mptcp", "One row per MPTCP connection: subflows grouped by MP_CAPABLE keys and MP_JOIN tokens, ADD_ADDR/REMOVE_ADDR, DATA_FIN, fast close, bytes per direction; fallbacks and orphan joins too.")
        {
            capture, format, iface, pmCheck, failOnDiscrepancy,
        };
        FlowsInput.Validate(cmd, capture, iface);
        cmd.Validators.Add(r =>
        {
            // A capture file has no kernel view: the events are those of the moment, of this host.
            if (r.GetValue(pmCheck) && r.GetValue(iface) is null)
                r.AddError("--pm-check needs --interface IF: it compares live traffic with this host's path manager");
            if (r.GetValue(failOnDiscrepancy) && !r.GetValue(pmCheck))
                r.AddError("--fail-on-discrepancy needs --pm-check");
        });
        cmd.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(capture), parse.GetValue(iface), parse.GetValue(format) == "json", parse.GetValue(pmCheck),
            parse.GetValue(failOnDiscrepancy), ct)));
        return cmd;
    }

    private static int Run(string? path, string? interfaceName, bool json, bool pmCheck, bool failOnDiscrepancy, CancellationToken ct)
    {
        // Live, plain TCP flows are forgotten after a while: a capture that runs for weeks stays within bounds.
        var tracker = new MptcpConnectionTracker(live: interfaceName is not null);
        // The events are watched before the capture opens: every captured connection's events are then seen.
        using PathManagerWatch? watch = pmCheck ? PathManagerWatch.Start() : null;
        // Everything before an input fault is reported, then the fault.
        string? fault = FlowsInput.ReadAll(path, interfaceName, ct, (in Packet p) => tracker.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds));
        int status = fault is null ? 0 : CommandRunner.ExitFailure;
        MptcpPmCheckResult? check = watch?.Finish(tracker.Connections);
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
        {
            if (check is null)
                MptcpConnectionWriter.WriteJson(stdout, tracker.Connections);
            else
                MptcpConnectionWriter.WriteJson(stdout, tracker.Connections, check);
        }
        else
        {
            using var w = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
            if (check is null)
                MptcpConnectionWriter.WriteTsv(w, tracker.Connections);
            else
                MptcpConnectionWriter.WriteTsv(w, tracker.Connections, check);
        }
        if (check is not null)
        {
            Console.Error.WriteLine($"tributary: pm check: {check.Kernel.Connections.Count} kernel connections, {check.Discrepancies} discrepancies" +
                (check.Kernel.EventsLost > 0 ? $"; events were lost {check.Kernel.EventsLost} times" : ""));
            if (watch!.ExistingUnknown is { } why)
                Console.Error.WriteLine($"tributary: pm check: connections open before the watch are unknown: {why}");
        }
        if (fault is not null)
            Console.Error.WriteLine($"tributary: {fault}");
        // An input fault (exit 1) says more than the check: the wire side is incomplete.
        if (status == CommandRunner.ExitOk && failOnDiscrepancy && check!.Discrepancies > 0)
            status = CommandRunner.ExitCheckFailed;
        return status;
    }
}
