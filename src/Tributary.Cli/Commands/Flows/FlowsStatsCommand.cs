using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tributary.Capture;
using Tributary.Capture.Live;
using Tributary.Cli.Telemetry;
using Tributary.Flows.Applications.Stats;
using Tributary.Flows.Telemetry;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows stats CAPTURE [--buffers] [--checksums] [--threads N] [--midstream] [--json] [--otlp ENDPOINT]</c>: the
/// standard monitoring workload and benchmark (DESIGN.md "Contracts"): totals and the packet rate; with <c>--otlp</c>
/// the counters also go to an OpenTelemetry collector while it runs, and the totals once more at the end.
/// </summary>
internal static class FlowsStatsCommand
{
    public static Command Create()
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var buffers = new Option<bool>("--buffers") { Description = "Receive buffers on, with one peek per CONN_NEW_DATA." };
        var checksums = new Option<bool>("--checksums") { Description = "Verify IPv4 header and TCP checksums." };
        var threads = new Option<int>("--threads") { Description = "Shards: one monitoring context per thread (symmetric 4-tuple hash; live, one capture per thread in a fanout group).", HelpName = "N", DefaultValueFactory = _ => 1, CustomParser = NumberOption.Int32(1, 256, "must be between 1 and 256") };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var midstream = new Option<bool>("--midstream") { Description = "Track flows whose SYN was not seen from their first packet, instead of counting their packets as orphans." };
        var cmd = new Command("stats", "Track every TCP flow (both sides' states, optional reassembly) and print totals and the packet rate.")
        {
            capture, buffers, checksums, threads, midstream, json, iface,
        };
        OtlpOptions otlp = OtlpOptions.AddTo(cmd);
        FlowsInput.Validate(cmd, capture, iface);
        cmd.SetAction((parse, ct) =>
        {
            string? path = parse.GetValue(capture), interfaceName = parse.GetValue(iface);
            // Disposed after the totals are printed: the last export carries them.
            using FlowTelemetry? telemetry = otlp.Start(parse, interfaceName, path, Console.Error);
            return Task.FromResult(Run(path, interfaceName, new FlowStatisticsOptions
            {
                Buffers = parse.GetValue(buffers),
                Checksums = parse.GetValue(checksums),
                Threads = parse.GetValue(threads),
                AdoptMidstream = parse.GetValue(midstream),
                Metrics = telemetry?.Metrics,
            }, parse.GetValue(json), ct));
        });
        return cmd;
    }

    private static int Run(string? path, string? interfaceName, FlowStatisticsOptions options, bool json, CancellationToken ct)
    {
        FlowMetrics? metrics = options.Metrics;
        FlowStatisticsResult r;
        var kernel = new StringWriter(CultureInfo.InvariantCulture); // a live run's kernel counts, printed with the results
        try
        {
            if (interfaceName is not null && options.Threads > 1)
            {
                // Live and sharded: the kernel spreads the interface's connections over one capture per thread.
                LiveCapture[] group = FlowsInput.OpenGroup(interfaceName, options.Threads, ct, out CancellationTokenRegistration stop);
                try
                {
                    foreach (LiveCapture c in group)
                        metrics?.Add(c);
                    using (stop)
                        r = new FlowStatistics(options).Run(group, CancellationToken.None);
                    KernelCounts.Report(interfaceName, kernel, group);
                }
                finally
                {
                    foreach (LiveCapture c in group)
                        c.Dispose();
                }
            }
            else if (interfaceName is not null)
            {
                // Live: one context, stopped by SIGINT/SIGTERM through the source, totals printed at the end.
                using PacketSource live = FlowsInput.Open(null, interfaceName, ct, out CancellationTokenRegistration stop);
                metrics?.Add(live);
                using (stop)
                    r = new FlowStatistics(options).Run(live, CancellationToken.None);
                KernelCounts.Report(interfaceName, kernel, live);
            }
            else
            {
                r = new FlowStatistics(options).Run(path!, ct);
            }
        }
        catch (CaptureFileException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(path is null ? $"{interfaceName}: {ex.Message}" : FileErrors.Describe(path, ex));
        }
        int status = 0;
        Console.Error.Write(kernel.ToString());
        if (r.InputError is not null)
        {
            // The file's fault names the file; a live capture's names the operation, so the interface goes first.
            Console.Error.WriteLine(interfaceName is null ? $"tributary: {r.InputError}" : $"tributary: {interfaceName}: {r.InputError}");
            status = CommandRunner.ExitFailure;
        }
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
        {
            using var w = new Utf8JsonWriter(stdout);
            w.WriteStartObject();
            w.WriteNumber("packets", r.Packets);
            w.WriteNumber("tcp_packets", r.TcpPackets);
            w.WriteNumber("flows", r.Flows);
            w.WriteNumber("orphans", r.Orphans);
            w.WriteNumber("rexmits", r.Retransmissions);
            w.WriteNumber("errors", r.Errors);
            w.WriteNumber("malformed", r.Malformed);
            w.WriteNumber("checksum_errors", r.ChecksumErrors);
            w.WriteNumber("new_data", r.NewDataEvents);
            w.WriteNumber("peeked_bytes", r.PeekedBytes);
            w.WriteStartObject("final_states");
            foreach ((string k, long v) in r.FinalStates)
                w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteNumber("threads", r.ShardPackets.Count);
            w.WriteStartArray("shard_packets");
            foreach (long n in r.ShardPackets)
                w.WriteNumberValue(n);
            w.WriteEndArray();
            w.WriteString("strategy", r.Strategy);
            w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 6));
            w.WriteNumber("mpps", Math.Round(r.MegaPacketsPerSecond, 3));
            w.WriteEndObject();
            w.Flush();
            stdout.WriteByte((byte)'\n');
            return status;
        }
        using var t = new StreamWriter(stdout);
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        t.Write(F($"packets {r.Packets}\ntcp_packets {r.TcpPackets}\nflows {r.Flows}\norphans {r.Orphans}\nrexmits {r.Retransmissions}\nerrors {r.Errors}\n"));
        t.Write(F($"malformed {r.Malformed}\nchecksum_errors {r.ChecksumErrors}\nnew_data {r.NewDataEvents}\npeeked_bytes {r.PeekedBytes}\n"));
        foreach ((string k, long v) in r.FinalStates)
            t.Write(F($"state {k} {v}\n"));
        t.Write(F($"threads {r.ShardPackets.Count}\nshard_packets {string.Join(' ', r.ShardPackets)}\nstrategy {r.Strategy}\nseconds {r.Elapsed.TotalSeconds:F6}\nmpps {r.MegaPacketsPerSecond:F3}\n"));
        return status;
    }
}
