using System.CommandLine;
using Tributary.Capture;
using Tributary.Flows.Applications.Export;
using Tributary.Flows.Applications.Summary;

namespace Tributary.Cli.Commands.Flows;

/// <summary><c>tributary flows summary CAPTURE [--format tsv|json] [--checksums]</c>: one row per TCP flow (DESIGN.md "Contracts").</summary>
internal static class FlowsSummaryCommand
{
    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var format = new Option<string>("--format") { Description = "Output format.", HelpName = "tsv|json", DefaultValueFactory = _ => "tsv" };
        format.AcceptOnlyFromAmong("tsv", "json");
        var checksums = new Option<bool>("--checksums") { Description = "Ignore segments with a bad IPv4 header or TCP checksum." };
        var ipfix = new Option<string?>("--ipfix") { Description = "Also export the flows as IPFIX records (one per direction) to a collector (udp:ADDRESS:PORT) or a file.", HelpName = "DEST" };
        var cmd = new Command("summary", "One row per TCP flow: endpoints, packets, bytes, flags, close, and each direction's reassembled stream length and SHA-256.")
        {
            capture, format, checksums, ipfix, iface,
        };
        FlowsInput.Validate(cmd, capture, iface);
        cmd.SetAction((parse, ct) =>
        {
            using IpfixDestination? export = parse.GetValue(ipfix) is { } dest ? IpfixDestination.Open(dest) : null;
            return Task.FromResult(Run(parse.GetValue(capture), parse.GetValue(iface), parse.GetValue(format) == "json", parse.GetValue(checksums), export, ct));
        });
        return cmd;
    }

    private static int Run(string? path, string? interfaceName, bool json, bool checksums, IpfixDestination? export, CancellationToken ct)
    {
        var summarizer = new FlowSummarizer(checksums);
        // Everything before an input fault is reported, then the fault.
        string? fault = FlowsInput.ReadAll(path, interfaceName, ct, (in Packet p) => summarizer.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds, p.Flags));
        int status = fault is null ? 0 : CommandRunner.ExitFailure;
        summarizer.Complete();
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
        {
            FlowSummaryWriter.WriteJson(stdout, summarizer.Flows);
        }
        else
        {
            using var w = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
            FlowSummaryWriter.WriteTsv(w, summarizer.Flows);
        }
        if (export is not null)
        {
            IpfixWriter writer = export.CreateWriter();
            foreach (FlowSummary flow in summarizer.Flows)
                writer.Write(flow);
            writer.Flush();
        }
        if (fault is not null)
            Console.Error.WriteLine($"tributary: {fault}");
        return status;
    }
}
