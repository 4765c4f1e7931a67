using System.CommandLine;
using Tributary.Capture.Live;
using Tributary.Cli.Telemetry;
using Tributary.Flows;
using Tributary.Flows.Applications.Midstat;
using Tributary.Flows.Applications.Trace;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows midstat (CAPTURE | --interface IF) [--interval SECONDS] [options]</c>: mOS's midstat sample, the
/// connections crossing the monitor with both endpoints' TCP states, printed every interval (reference/mos/SAMPLES.md §1).
/// </summary>
internal static class FlowsMidstatCommand
{
    /// <summary>The flow table's size when no configuration file says otherwise (mOS's reference configuration says 1024).</summary>
    private const int DefaultMaxConcurrency = 1 << 20;

    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        Option<TimeSpan> interval = FlowsInput.IntervalOption("tables");
        var checksums = new Option<bool>("--checksums") { Description = "Ignore packets with a bad IPv4 header or TCP checksum, as mOS does." };
        var compat = new Option<bool>("--mos-compat") { Description = "Reproduce mOS's observable behaviour (reference/mos/DEVIATIONS.md), e.g. B17's states without buffers." };
        var midstream = new Option<bool>("--midstream") { Description = "Also show flows whose SYN was not seen (DEVIATIONS B33; not with --mos-compat)." };
        var config = new Option<string?>("--config") { Description = "mOS configuration file (mos { key = value … }); without it max_concurrency is 1048576.", HelpName = "FILE" };
        var threads = new Option<int>("--threads") { Description = "Live: one monitoring context per thread, the interface's connections spread over them by the kernel (an AF_PACKET fanout group); the CPU column says which.", HelpName = "N", DefaultValueFactory = _ => 1, CustomParser = NumberOption.Int32(1, 256, "must be between 1 and 256") };
        var set = new Option<string[]>("--set") { Description = "Set a configuration key (tcp_timeout, tcp_tw_interval, max_concurrency, …); repeatable.", HelpName = "KEY=VALUE" };
        var cmd = new Command("midstat", "Connections crossing the monitor with both endpoints' TCP states, printed every interval (mOS's midstat).")
        {
            capture, interval, checksums, compat, midstream, config, set, threads, iface,
        };
        OtlpOptions otlp = OtlpOptions.AddTo(cmd);
        FlowsInput.Validate(cmd, capture, iface);
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(midstream) && r.GetValue(compat))
                r.AddError("--midstream cannot be combined with --mos-compat: mOS never picks up a flow mid-stream (DEVIATIONS B33)");
            if (NumberOption.ValueOr(r, threads, 1) > 1 && r.GetValue(iface) is null)
                r.AddError("--threads needs --interface: a capture file is read by one context");
        });
        cmd.SetAction((parse, ct) =>
        {
            MonitorContextOptions options;
            try
            {
                string? configFile = parse.GetValue(config);
                IEnumerable<string> settings = parse.GetValue(set) ?? [];
                if (configFile is null)
                    settings = settings.Prepend($"max_concurrency={DefaultMaxConcurrency}");
                options = TraceConfiguration.Build(parse.GetValue(compat), configFile, settings, w => Console.Error.WriteLine($"tributary: warning: {w}")) with
                {
                    VerifyChecksums = parse.GetValue(checksums),
                    AdoptMidstream = parse.GetValue(midstream),
                };
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CommandLineException(ex.Message, CommandRunner.ExitUsage);
            }
            string? interfaceName = parse.GetValue(iface);
            if (interfaceName is not null)
                options = options with { OfflineClock = false };
            using FlowTelemetry? telemetry = otlp.Start(parse, interfaceName, parse.GetValue(capture), Console.Error);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            var monitor = new MidstatMonitor(options, stdout, FlowsInput.Interval(parse, interval)) { Metrics = telemetry?.Metrics };
            int n = parse.GetValue(threads);
            if (n > 1)
                return Task.FromResult(RunGroup(monitor, interfaceName!, n, ct));
            return Task.FromResult(FlowsInput.Run(parse.GetValue(capture), interfaceName, ct, source =>
            {
                monitor.Run(source);
                return 0;
            }, telemetry?.Metrics));
        });
        return cmd;
    }

    /// <summary>Live over a fanout group: one capture and one context per thread, until SIGINT/SIGTERM.</summary>
    private static int RunGroup(MidstatMonitor monitor, string interfaceName, int n, CancellationToken ct)
    {
        LiveCapture[] group = FlowsInput.OpenGroup(interfaceName, n, ct, out CancellationTokenRegistration stop);
        var sources = group.Select(c => new CaptureFrameSource(c)).ToArray();
        foreach (LiveCapture c in group)
            monitor.Metrics?.Add(c);
        try
        {
            using (stop)
                monitor.Run(sources);
            KernelCounts.Report(interfaceName, Console.Error, group);
            return 0;
        }
        catch (Exception ex) when (InputFault.Is(ex))
        {
            KernelCounts.Report(interfaceName, Console.Error, group);
            throw new CommandLineException(InputFault.Describe(ex, interfaceName));
        }
        finally
        {
            foreach (CaptureFrameSource s in sources)
                s.Dispose(); // and its capture
        }
    }
}
