using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Mptcp.Daemon;
using Tributary.Mptcp.Telemetry;
using Tributary.Mptcp.Tests.Daemon;
using Tributary.Mptcp.Tests.Lab;

namespace Tributary.Mptcp.Tests.Telemetry;

/// <summary>
/// The real <c>tributary mptcpd --otlp</c> in the MPTCP lab's client namespace, the collector on that namespace's
/// loopback: exports arrive every interval; connections, subflows and kernel events equal what <c>ip mptcp monitor</c>
/// printed over the same period; endpoints equal <c>ip -j mptcp endpoint show</c>; after SIGTERM the last export carries
/// the final values and the daemon exits 0. An unreachable collector costs one stderr line and nothing else, and the
/// OpenTelemetry SDK is loaded only with <c>--otlp</c>.
/// </summary>
public sealed partial class MptcpdOtlpTests
{
    private const int Connections = 3;

    /// <summary><c>ip mptcp monitor</c>'s event names → the <c>mptcp.event</c> attribute values.</summary>
    private static readonly Dictionary<string, string> MonitorNames = new(StringComparer.Ordinal)
    {
        ["CREATED"] = "created",
        ["ESTABLISHED"] = "established",
        ["CLOSED"] = "closed",
        ["ANNOUNCED"] = "announced",
        ["REMOVED"] = "removed",
        ["SF_ESTABLISHED"] = "sub_established",
        ["SF_CLOSED"] = "sub_closed",
        ["SF_PRIO"] = "sub_priority",
        ["LISTENER_CREATED"] = "listener_created",
        ["LISTENER_CLOSED"] = "listener_closed",
    };

    private static string[] DaemonArgs(MptcpLab lab, params string[] more) =>
        ["netns", "exec", lab.Client.Name, DaemonProcessTests.Binary, "mptcpd", "--config", DaemonProcessTests.NoConfig,
            "--load-plugins=addr_adv", "--addr-flags=subflow", "--notify-flags=existing,skip_link_local,skip_loopback", .. more];

    [KernelFact("stdbuf")]
    public async Task Exports_follow_ip_mptcp_monitor_and_the_endpoint_table_and_the_last_carries_the_final_values()
    {
        using var lab = new MptcpLab("mpoc", "mpos");
        Socket listening = Tributary.Netlink.NetworkNamespace.Run(lab.Client.Path, OtlpReceiver.Listen);
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync(listening);
        // Line-buffered, so that what it printed is readable while it runs; started before the daemon joins the events group.
        BackgroundProcess monitor = lab.Own(new BackgroundProcess("ip", "netns", "exec", lab.Client.Name, "stdbuf", "-oL", "ip", "mptcp", "monitor"));
        Thread.Sleep(500);
        BackgroundProcess daemon = lab.Own(new BackgroundProcess("ip", DaemonArgs(lab, $"--otlp={collector.BaseUrl}", "--otlp-interval=1",
            "--otlp-instance=lab-client")));
        TaskTimeouts.WaitUntil(() => lab.ClientEndpoints.Split('\n').Length == 4 || daemon.HasExited, TimeSpan.FromSeconds(20), "the daemon's four endpoints");
        TaskTimeouts.WaitUntil(() => Decoded(collector).Any(r => Points(r, "tributary.mptcp.endpoints").Sum(p => p.Value) == 4) || daemon.HasExited,
            TimeSpan.FromSeconds(20), "an export with the endpoints");
        Assert.False(daemon.HasExited, daemon.Error);

        lab.StartServer(5201);
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
                sockets.Add(c);
                await c.SendAsync(new byte[1000]); // the in-kernel PM adds the c2 subflow once the connection is established
            }
            TaskTimeouts.WaitUntil(() => Count(Monitor(monitor), "sub_established") == Connections, TimeSpan.FromSeconds(20), "a second subflow per connection");
            (int connections, int subflows) = Live(Monitor(monitor));
            Assert.Equal((Connections, 2 * Connections), (connections, subflows));
            int before = collector.Requests.Count;
            TaskTimeouts.WaitUntil(() => Decoded(collector).Skip(before).Any(r => Value(r, "tributary.mptcp.connections") == connections
                && Value(r, "tributary.mptcp.subflows") == subflows), TimeSpan.FromSeconds(20), "an export of the open connections");
            OtlpMetricsRequest open = Decoded(collector).Skip(before).First(r => Value(r, "tributary.mptcp.connections") == connections);
            AssertEvents(Monitor(monitor), open);
        }
        finally
        {
            foreach (Socket s in sockets)
                s.Dispose();
        }
        TaskTimeouts.WaitUntil(() => Count(Monitor(monitor), "closed") == Connections, TimeSpan.FromSeconds(20), "the connections' CLOSED");
        int closing = collector.Requests.Count;
        TaskTimeouts.WaitUntil(() => Decoded(collector).Skip(closing).Any(r => Value(r, "tributary.mptcp.connections") == 0),
            TimeSpan.FromSeconds(20), "an export after the close");
        Thread.Sleep(1500); // at least one more interval, without events
        // Signal right after a periodic export arrived, so that the next periodic one is an interval away: the only
        // export collected after the signal is then the shutdown's.
        int periodic = collector.Requests.Count;
        TaskTimeouts.WaitUntil(() => collector.Requests.Count > periodic, TimeSpan.FromSeconds(10), "a periodic export");

        ulong terminated = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        daemon.Signal(TributaryCli.SIGTERM);
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(20)), "the daemon did not stop on SIGTERM");
        Assert.Equal(0, daemon.ExitCode);
        Assert.DoesNotContain("OTLP export", daemon.Error, StringComparison.Ordinal);
        string table = lab.Client.Ip("-j", "mptcp", "endpoint", "show");
        monitor.Signal(TributaryCli.SIGTERM);
        Assert.True(monitor.WaitForExit(TimeSpan.FromSeconds(10)));
        List<string> events = Monitor(monitor);

        var requests = Decoded(collector);
        Assert.All(collector.Requests, q => Assert.Equal("/v1/metrics", q.Path));
        // Exactly one export after SIGTERM (the reader's shutdown), and it is the last.
        Assert.Same(requests[^1], Assert.Single(requests, r => Time(r) > terminated));
        // Every interval while it ran: consecutive exports about a second apart.
        for (int i = 1; i < requests.Count - 1; i++)
        {
            double gap = (Time(requests[i]) - Time(requests[i - 1])) / 1e9;
            Assert.True(gap is > 0.5 and < 3, $"exports {i - 1} and {i} are {gap:0.00} s apart");
        }
        foreach (OtlpMetricsRequest r in requests)
        {
            OtlpResourceMetrics resource = Assert.Single(r.Resources);
            Assert.Equal("tributary", resource.Attributes["service.name"]);
            Assert.Equal("lab-client", resource.Attributes["service.instance.id"]);
            Assert.Equal(NamespaceInode(lab.Client.Path), resource.Attributes[MptcpDaemon.NetworkNamespaceAttribute]);
            Assert.Equal(PathManagerMetrics.MeterName, Assert.Single(resource.Scopes).Name);
        }

        OtlpMetricsRequest last = requests[^1];
        Assert.Equal((0L, 0L), (Value(last, "tributary.mptcp.connections"), Value(last, "tributary.mptcp.subflows")));
        Assert.Equal(Live(events), ((int)Value(last, "tributary.mptcp.connections"), (int)Value(last, "tributary.mptcp.subflows")));
        AssertEvents(events, last);
        Assert.Equal(Connections, Count(events, "created"));
        // The endpoints: what the kernel's table holds, by flags.
        Dictionary<string, long> expected = JsonDocument.Parse(table).RootElement.EnumerateArray()
            .GroupBy(e => string.Join(',', JsonFlags(e).Order(StringComparer.Ordinal)))
            .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        Assert.Equal(new Dictionary<string, long> { ["subflow"] = 4 }, expected);
        Dictionary<string, long> exported = Points(last, "tributary.mptcp.endpoints").Where(p => p.Value > 0)
            .ToDictionary(p => string.Join(',', ((string)p.Attributes[PathManagerMetrics.EndpointFlagsAttribute]!).Split(',').Order(StringComparer.Ordinal)),
                p => p.Value, StringComparer.Ordinal);
        Assert.Equal(expected, exported);
        Assert.Equal(0, Value(last, "tributary.mptcp.addresses.waiting"));
        Assert.Equal(0, Value(last, "tributary.mptcp.resyncs"));
        Assert.Empty(Points(last, "tributary.mptcp.command.errors"));
        Assert.Empty(Points(last, "tributary.mptcp.plugin.errors"));
    }

    [KernelFact]
    public void An_unreachable_collector_costs_one_stderr_line_and_the_sdk_loads_only_with_otlp()
    {
        using var lab = new MptcpLab("mpuc", "mpus");
        // Without --otlp: running, endpoints made, and no OpenTelemetry assembly mapped.
        BackgroundProcess plain = lab.Own(new BackgroundProcess("ip", DaemonArgs(lab)));
        TaskTimeouts.WaitUntil(() => lab.ClientEndpoints.Split('\n').Length == 4 || plain.HasExited, TimeSpan.FromSeconds(20), "the endpoints");
        string maps = File.ReadAllText($"/proc/{plain.Id}/maps");
        Assert.Contains("Tributary.Mptcp.dll", maps, StringComparison.Ordinal);
        Assert.DoesNotContain("OpenTelemetry", maps, StringComparison.Ordinal);
        plain.Signal(TributaryCli.SIGTERM);
        Assert.True(plain.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, plain.ExitCode);
        lab.Client.Ip("mptcp", "endpoint", "flush");

        // Nothing listens on this port of the namespace's loopback: every export is refused.
        int port = 1 + (Environment.ProcessId % 30000) + 20000;
        BackgroundProcess daemon = lab.Own(new BackgroundProcess("ip", DaemonArgs(lab, $"--otlp=http://127.0.0.1:{port}", "--otlp-interval=0.2")));
        TaskTimeouts.WaitUntil(() => lab.ClientEndpoints.Split('\n').Length == 4 || daemon.HasExited, TimeSpan.FromSeconds(20), "the endpoints despite the collector");
        TaskTimeouts.WaitUntil(() => daemon.Error.Contains("OTLP export", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the failure line");
        Thread.Sleep(1500); // several more failed exports
        Assert.Contains("OpenTelemetry.Exporter.OpenTelemetryProtocol.dll", File.ReadAllText($"/proc/{daemon.Id}/maps"), StringComparison.Ordinal);
        Assert.Equal(4, lab.ClientEndpoints.Split('\n').Length);
        daemon.Signal(TributaryCli.SIGTERM);
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(20)), "the daemon did not stop on SIGTERM");
        Assert.Equal(0, daemon.ExitCode);
        string line = $"tributary: OTLP export to http://127.0.0.1:{port}/v1/metrics failed: Connection refused (127.0.0.1:{port}); path management goes on (reported once per kind of failure)";
        Assert.Equal([line], daemon.Error.Split('\n').Where(l => l.Contains("OTLP", StringComparison.Ordinal)));
        Assert.Contains("Terminating tributary mptcpd", daemon.Error, StringComparison.Ordinal);
    }

    private static List<OtlpMetricsRequest> Decoded(OtlpReceiver collector) => [.. collector.Requests.Select(q => q.Decode())];

    private static ulong Time(OtlpMetricsRequest r) => r.Metrics.First(m => m.Points.Count > 0).Points[0].TimeUnixNano;

    private static List<(long Value, IReadOnlyDictionary<string, object?> Attributes)> Points(OtlpMetricsRequest r, string name) =>
        [.. r.Metrics.Where(m => m.Name == name).SelectMany(m => m.Points).Select(p => (p.AsInt ?? throw new InvalidDataException($"{name}: not an integer"), p.Attributes))];

    private static long Value(OtlpMetricsRequest r, string name, string? key = null, string? value = null) =>
        Assert.Single(Points(r, name), p => key is null || Equals(p.Attributes.GetValueOrDefault(key), value)).Value;

    /// <summary>The daemon's event counters equal the monitor's counts, type by type.</summary>
    private static void AssertEvents(List<string> monitorLines, OtlpMetricsRequest r)
    {
        foreach (string type in MonitorNames.Values)
            Assert.Equal((type, (long)Count(monitorLines, type)), (type, Value(r, "tributary.mptcp.events", PathManagerMetrics.EventAttribute, type)));
        Assert.Equal(0, Value(r, "tributary.mptcp.events", PathManagerMetrics.EventAttribute, "other"));
    }

    /// <summary>The lines <c>ip mptcp monitor</c> printed so far, as (type attribute, token) text.</summary>
    private static List<string> Monitor(BackgroundProcess monitor) =>
        [.. monitor.Output.Split('\n').Select(l => MonitorLine().Match(l)).Where(m => m.Success)
            .Select(m => (MonitorNames.TryGetValue(m.Groups[1].Value, out string? t) ? t : "other:" + m.Groups[1].Value) + " " + m.Groups[2].Value)];

    private static int Count(List<string> lines, string type) => lines.Count(l => l.StartsWith(type + " ", StringComparison.Ordinal));

    /// <summary>Open connections and their live subflows by the monitor's account (the initial subflow, joins, closes).</summary>
    private static (int Connections, int Subflows) Live(List<string> lines)
    {
        var subflows = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string l in lines)
        {
            string[] f = l.Split(' ');
            switch (f[0])
            {
                case "created": subflows[f[1]] = 1; break;
                case "closed": subflows.Remove(f[1]); break;
                case "sub_established" when subflows.ContainsKey(f[1]): subflows[f[1]]++; break;
                case "sub_closed" when subflows.ContainsKey(f[1]): subflows[f[1]]--; break;
            }
        }
        return (subflows.Count, subflows.Values.Sum());
    }

    /// <summary>An endpoint's flags in <c>ip -j</c>'s output: a "flags" array (newer iproute2) or one true member per flag (6.1).</summary>
    private static IEnumerable<string> JsonFlags(JsonElement endpoint)
    {
        if (endpoint.TryGetProperty("flags", out JsonElement flags))
            return flags.EnumerateArray().Select(f => f.GetString()!);
        string[] names = ["signal", "subflow", "backup", "fullmesh", "implicit", "laminar"];
        return names.Where(n => endpoint.TryGetProperty(n, out JsonElement v) && v.ValueKind == JsonValueKind.True);
    }

    private static long NamespaceInode(string path)
    {
        ProcessResult r = ProcessRunner.Run("stat", "-L", "-c", "%i", path);
        r.EnsureSuccess("stat");
        return long.Parse(r.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^\[\s*([A-Z_]+)\]\s*(?:token=([0-9a-f]+))?")]
    private static partial Regex MonitorLine();
}
