using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tributary.Flows.Telemetry;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Telemetry;

/// <summary>
/// <c>--otlp</c> end to end: the <c>tributary</c> process exports to an in-test OTLP/HTTP collector, whose bodies are
/// decoded by field number (<see cref="OtlpMetricsRequest"/>); the metrics carry the names, units, kinds, resource and
/// attributes the README lists, and their last values are the totals the run printed. Bad options exit 2; an absent
/// collector costs one stderr line and nothing else; without <c>--otlp</c> the OpenTelemetry SDK is never loaded.
/// </summary>
public sealed partial class OtlpExportTests
{
    private static string Corpus(string file) => Path.Combine(SharedPaths.Corpus, file);

    /// <summary>The "key value" lines of <c>flows stats</c> (the contract's totals).</summary>
    internal static Dictionary<string, long> Totals(string stdout)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ');
            if (f.Length == 2 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                totals[f[0]] = v;
            else if (f.Length == 3 && f[0] == "state")
                totals["state " + f[1]] = long.Parse(f[2], CultureInfo.InvariantCulture);
        }
        return totals;
    }

    /// <summary>The one point of <paramref name="name"/> (with <paramref name="key"/>=<paramref name="value"/>), as an integer.</summary>
    internal static long Value(OtlpMetricsRequest request, string name, string? key = null, string? value = null)
    {
        OtlpMetric metric = Assert.Single(request.Metrics, m => m.Name == name);
        OtlpDataPoint point = Assert.Single(metric.Points, p => key is null || Equals(p.Attributes.GetValueOrDefault(key), value));
        Assert.NotNull(point.AsInt);
        return point.AsInt.Value;
    }

    /// <summary>
    /// Names, units, kinds (a monotonic sum for every counter, a non-monotonic sum for active flows; cumulative), the
    /// resource and the scope, and the attribute naming what is monitored on every point.
    /// </summary>
    internal static void AssertShape(OtlpMetricsRequest request, string instance, string attributeKey, string attributeValue, bool live)
    {
        OtlpResourceMetrics resource = Assert.Single(request.Resources);
        Assert.Equal("tributary", resource.Attributes["service.name"]);
        Assert.Equal(instance, resource.Attributes["service.instance.id"]);
        Assert.Equal(Environment.MachineName, resource.Attributes["host.name"]);
        OtlpScopeMetrics scope = Assert.Single(resource.Scopes);
        Assert.Equal(FlowMetrics.MeterName, scope.Name);
        var expected = FlowMetricsTests.Instruments.Where(i => live || !i.Key.StartsWith("tributary.capture.", StringComparison.Ordinal))
            .ToDictionary(i => i.Key, i => i.Value.Unit);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), scope.Metrics.Select(m => KeyValuePair.Create(m.Name, m.Unit)).OrderBy(e => e.Key, StringComparer.Ordinal));
        foreach (OtlpMetric m in scope.Metrics)
        {
            Assert.Equal("sum", m.Kind);
            Assert.Equal(2, m.Temporality); // AGGREGATION_TEMPORALITY_CUMULATIVE
            Assert.Equal(m.Name != "tributary.flows.active", m.IsMonotonic);
            Assert.All(m.Points, p =>
            {
                Assert.Equal(attributeValue, p.Attributes[attributeKey]);
                Assert.True(p.TimeUnixNano > p.StartTimeUnixNano && p.StartTimeUnixNano > 0);
            });
        }
        Assert.Equal(2, scope.Metrics.Single(m => m.Name == "tributary.flows.ended").Points.Count);
        Assert.Equal(2, scope.Metrics.Single(m => m.Name == "tributary.flows.discarded").Points.Count);
    }

    /// <summary>The final export against the printed totals of <c>flows stats</c>.</summary>
    internal static void AssertTotals(OtlpMetricsRequest last, Dictionary<string, long> totals)
    {
        Assert.Equal(totals["packets"], Value(last, "tributary.flows.packets"));
        Assert.Equal(totals["tcp_packets"], Value(last, "tributary.flows.tcp_packets"));
        Assert.Equal(totals["flows"], Value(last, "tributary.flows.started"));
        Assert.Equal(totals["orphans"], Value(last, "tributary.flows.orphans"));
        Assert.Equal(totals["rexmits"], Value(last, "tributary.flows.retransmissions"));
        Assert.Equal(totals["errors"], Value(last, "tributary.flows.errors"));
        Assert.Equal(totals["malformed"], Value(last, "tributary.flows.discarded", FlowMetrics.DiscardReasonAttribute, "malformed"));
        Assert.Equal(totals["checksum_errors"], Value(last, "tributary.flows.discarded", FlowMetrics.DiscardReasonAttribute, "bad_checksum"));
        long open = totals.Where(t => t.Key.StartsWith("state open:", StringComparison.Ordinal)).Sum(t => t.Value);
        long ended = totals.Where(t => t.Key.StartsWith("state ", StringComparison.Ordinal)).Sum(t => t.Value) - open;
        Assert.Equal(ended, Value(last, "tributary.flows.ended", FlowMetrics.EndReasonAttribute, "close")
            + Value(last, "tributary.flows.ended", FlowMetrics.EndReasonAttribute, "idle_timeout"));
        Assert.Equal(open, Value(last, "tributary.flows.active"));
    }

    [Theory]
    [InlineData("gen__seed.pcap", "--threads", "2")]
    [InlineData("pub__cs__http_espn.pcapng", "--checksums", "--buffers")]
    public async Task Flows_stats_on_a_file_delivers_its_totals_once_at_the_end(string file, string option1, string option2)
    {
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync();
        string capture = Corpus(file);
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "stats", capture, option1, option2, "--otlp", collector.BaseUrl.ToString(), "--otlp-instance", "test-monitor-7"]);
        Assert.Equal("", r.StandardError);
        Assert.Equal(0, r.ExitCode);
        // The run is far shorter than the 10 s interval: the one export is the last, made at the end.
        OtlpReceiver.Request request = Assert.Single(collector.Requests);
        Assert.Equal("/v1/metrics", request.Path);
        Assert.Equal("application/x-protobuf", request.ContentType);
        OtlpMetricsRequest decoded = request.Decode();
        AssertShape(decoded, "test-monitor-7", FlowMetrics.CaptureFileAttribute, capture, live: false);
        Dictionary<string, long> totals = Totals(r.StandardOutput);
        AssertTotals(decoded, totals);
        if (file == "gen__seed.pcap")
        {
            Assert.Equal(2, totals["threads"]);
            Assert.Contains("\nstrategy chunked\n", r.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(1054, Value(decoded, "tributary.flows.started")); // the corpus oracle's connections
        }
        else
        {
            Assert.Equal(63, Value(decoded, "tributary.flows.discarded", FlowMetrics.DiscardReasonAttribute, "bad_checksum"));
            Assert.Equal(25, Value(decoded, "tributary.flows.active"));
        }
    }

    [Fact]
    public async Task Flows_export_and_midstat_export_too_to_a_full_url_or_a_base_with_a_path()
    {
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync();
        string capture = Corpus("gen__imp_loss2_srv.pcap");
        Dictionary<string, long> totals = Totals(ProcessRunner.Run(Launcher.Path, ["flows", "stats", capture]).EnsureSuccess("flows stats").StandardOutput);
        string ipfix = Path.GetTempFileName();
        try
        {
            ProcessResult export = ProcessRunner.Run(Launcher.Path, ["flows", "export", capture, "--ipfix", ipfix, "--otlp", collector.BaseUrl + "v1/metrics"]);
            Assert.Equal((0, ""), (export.ExitCode, export.StandardError));
        }
        finally
        {
            File.Delete(ipfix);
        }
        ProcessResult midstat = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", capture, "--interval", "0", "--otlp", collector.BaseUrl + "collector/otlp/"]);
        Assert.Equal((0, ""), (midstat.ExitCode, midstat.StandardError));
        Assert.Equal(["/v1/metrics", "/collector/otlp/v1/metrics"], collector.Requests.Select(q => q.Path));
        foreach (OtlpReceiver.Request request in collector.Requests)
        {
            OtlpMetricsRequest decoded = request.Decode();
            string instance = (string)decoded.Resources[0].Attributes["service.instance.id"]!;
            Assert.Matches($"^{Regex.Escape(Environment.MachineName)}:{decoded.Resources[0].Attributes["process.pid"]}$", instance);
            AssertShape(decoded, instance, FlowMetrics.CaptureFileAttribute, capture, live: false);
            // The same engine over the same file: the same counts as flows stats (midstat and export keep the defaults).
            Assert.Equal(totals["packets"], Value(decoded, "tributary.flows.packets"));
            Assert.Equal(totals["flows"], Value(decoded, "tributary.flows.started"));
            Assert.Equal(totals["orphans"], Value(decoded, "tributary.flows.orphans"));
            Assert.Equal(totals["rexmits"], Value(decoded, "tributary.flows.retransmissions"));
        }
    }

    [Theory]
    [InlineData("--otlp", "ftp://127.0.0.1:4318", "--otlp: 'ftp://127.0.0.1:4318' is not an http:// or https:// URL")]
    [InlineData("--otlp", "127.0.0.1:4318", "is not an http:// or https:// URL")]
    [InlineData("--otlp", "http://", "--otlp: 'http://' is not an http:// or https:// URL")]
    [InlineData("--otlp", "http://127.0.0.1:4318/?a=b", "must not carry user information, a query or a fragment")]
    [InlineData("--otlp-interval", "0", "--otlp-interval must be between 0.1 and 86400 seconds")]
    [InlineData("--otlp-interval", "-5", "--otlp-interval must be between 0.1 and 86400 seconds")]
    [InlineData("--otlp-interval", "ten", "--otlp-interval: 'ten' is not a number of seconds")]
    [InlineData("--otlp-instance", "", "--otlp-instance must not be empty")]
    public void Bad_options_exit_2_with_a_message(string option, string value, string message)
    {
        string[] rest = option == "--otlp" ? [option, value] : ["--otlp", "http://127.0.0.1:4318", option, value];
        foreach (string command in (string[])["stats", "export", "midstat"])
        {
            string[] args = command == "export" ? ["flows", command, Corpus("gen__misc_v4.pcap"), "--ipfix", "/nonexistent/x", .. rest] : ["flows", command, Corpus("gen__misc_v4.pcap"), .. rest];
            ProcessResult r = ProcessRunner.Run(Launcher.Path, args);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal("", r.StandardOutput);
            Assert.Contains(message, r.StandardError, StringComparison.Ordinal);
        }
        ProcessResult alone = ProcessRunner.Run(Launcher.Path, ["flows", "stats", Corpus("gen__misc_v4.pcap"), "--otlp-interval", "5"]);
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("--otlp-interval needs --otlp ENDPOINT", alone.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_absent_collector_costs_one_stderr_line_and_the_run_goes_on()
    {
        // A closed port: every export is refused. The capture comes through standard input and stalls for 1.5 s after
        // its header while exports fail every 0.1 s; the run then completes with its totals, exit 0, and one line.
        int port = ClosedPort();
        string capture = Corpus("gen__misc_v4.pcap");
        byte[] bytes = File.ReadAllBytes(capture);
        using Process p = StartWithInput(["flows", "stats", "-", "--otlp", $"http://127.0.0.1:{port}", "--otlp-interval", "0.1"]);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(bytes, 0, 24); // the pcap file header
        p.StandardInput.BaseStream.Flush();
        Thread.Sleep(1500);
        p.StandardInput.BaseStream.Write(bytes, 24, bytes.Length - 24);
        p.StandardInput.Close();
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
        Dictionary<string, long> totals = Totals(await stdout.WithTimeout());
        Assert.Equal(1030, totals["packets"]);
        Assert.Equal(23, totals["flows"]);
        Assert.Equal($"tributary: OTLP export to http://127.0.0.1:{port}/v1/metrics failed: Connection refused (127.0.0.1:{port}); monitoring goes on (reported once per kind of failure)\n",
            await stderr.WithTimeout());
    }

    [Fact]
    public void The_OpenTelemetry_SDK_is_loaded_only_with_otlp()
    {
        // The process reads a capture from standard input and waits for more after its header: its mapped files show
        // which assemblies it loaded to get there.
        Assert.DoesNotContain("OpenTelemetry", LoadedWhileWaiting(["flows", "stats", "-"]), StringComparison.Ordinal);
        Assert.DoesNotContain("OpenTelemetry", LoadedWhileWaiting(["flows", "midstat", "-"]), StringComparison.Ordinal);
        Assert.Contains("OpenTelemetry.Exporter.OpenTelemetryProtocol.dll", LoadedWhileWaiting(["flows", "stats", "-", "--otlp", $"http://127.0.0.1:{ClosedPort()}", "--otlp-interval", "60"]), StringComparison.Ordinal);
    }

    private static string LoadedWhileWaiting(string[] args)
    {
        byte[] header = File.ReadAllBytes(Corpus("gen__misc_v4.pcap"))[..24];
        using Process p = StartWithInput(args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(header);
        p.StandardInput.BaseStream.Flush();
        string maps = "";
        // The capture layer is loaded when the input is opened, after --otlp was dealt with.
        TaskTimeouts.WaitUntil(() => (maps = File.ReadAllText($"/proc/{p.Id}/maps")).Contains("Tributary.Capture.dll", StringComparison.Ordinal) || p.HasExited,
            TimeSpan.FromSeconds(60), "the capture layer to load");
        Thread.Sleep(300);
        maps = File.ReadAllText($"/proc/{p.Id}/maps");
        p.StandardInput.Close();
        Assert.True(p.WaitForExit(30_000));
        Assert.True(p.ExitCode == 0, stderr.Result);
        Assert.NotEqual("", stdout.Result); // it ran to the end of its (empty) input
        return maps;
    }

    private static Process StartWithInput(string[] args)
    {
        var psi = new ProcessStartInfo(Launcher.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>A TCP port of 127.0.0.1 that nothing listens on (bound, then closed).</summary>
    private static int ClosedPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
