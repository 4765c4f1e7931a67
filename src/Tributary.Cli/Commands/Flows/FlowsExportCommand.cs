using System.CommandLine;
using System.Globalization;
using Tributary.Cli.Telemetry;
using Tributary.Flows;
using Tributary.Flows.Applications.Export;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows export (CAPTURE | --interface IF) --ipfix DEST [--active-timeout S] [--idle-timeout S]</c>: a flow
/// meter. The engine tracks every TCP flow; each is exported as IPFIX records when it ends (close or idle timeout),
/// every active timeout while it lasts, and at the end of the input if still open (DESIGN.md "export to existing
/// engines").
/// </summary>
internal static class FlowsExportCommand
{
    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var ipfix = new Option<string>("--ipfix") { Description = "The IPFIX collector (udp:ADDRESS:PORT) or file the records go to.", HelpName = "DEST", Required = true };
        var active = new Option<int>("--active-timeout") { Description = "Seconds a flow runs before a record of what it carried so far (0: only at its end).", HelpName = "SECONDS", DefaultValueFactory = _ => 60, CustomParser = NumberOption.Int32(0, 86_400, "must be between 0 and 86400") };
        var idle = new Option<int>("--idle-timeout") { Description = "Seconds without packets after which a flow ends (the engine's TCP timeout).", HelpName = "SECONDS", DefaultValueFactory = _ => 30, CustomParser = NumberOption.Int32(1, 86_400, "must be between 1 and 86400") };
        var checksums = new Option<bool>("--checksums") { Description = "Ignore packets with a bad IPv4 header or TCP checksum." };
        var midstream = new Option<bool>("--midstream") { Description = "Also meter flows whose SYN was not seen, from their first packet." };
        var cmd = new Command("export", "Meter every TCP flow and export it as IPFIX records when it ends, every active timeout, and at the end of the input.")
        {
            capture, ipfix, active, idle, checksums, midstream, iface,
        };
        OtlpOptions otlp = OtlpOptions.AddTo(cmd);
        FlowsInput.Validate(cmd, capture, iface);
        cmd.SetAction((parse, ct) =>
        {
            using IpfixDestination destination = IpfixDestination.Open(parse.GetValue(ipfix)!);
            string? interfaceName = parse.GetValue(iface);
            using FlowTelemetry? telemetry = otlp.Start(parse, interfaceName, parse.GetValue(capture), Console.Error);
            var options = new MonitorContextOptions
            {
                Forward = false,
                VerifyChecksums = parse.GetValue(checksums),
                TcpTimeoutSeconds = parse.GetValue(idle),
                AdoptMidstream = parse.GetValue(midstream),
                OfflineClock = interfaceName is null,
            };
            IpfixWriter writer = destination.CreateWriter();
            using var context = new MonitorContext(options);
            telemetry?.Metrics.Add(context);
            var exporter = new FlowExporter(context, writer, TimeSpan.FromSeconds(parse.GetValue(active)));
            int status = FlowsInput.Run(parse.GetValue(capture), interfaceName, ct, source =>
            {
                try
                {
                    long last = context.Run(source);
                    if (!source.IsLive && last != long.MinValue)
                        context.Finish(last);
                }
                finally
                {
                    exporter.Finish(); // what was metered before a fault is exported too
                    Console.Out.Write(string.Create(CultureInfo.InvariantCulture,
                        $"flows {exporter.ExportedFlows}\nrecords {writer.Records}\nmessages {writer.Messages}\n"));
                }
                return 0;
            }, telemetry?.Metrics);
            return Task.FromResult(status);
        });
        return cmd;
    }
}
