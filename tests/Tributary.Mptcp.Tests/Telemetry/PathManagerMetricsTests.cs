using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Mptcp.Internal;
using Tributary.Mptcp.Telemetry;
using Tributary.Mptcp.Tests.Plugins;

namespace Tributary.Mptcp.Tests.Telemetry;

/// <summary>
/// The instruments of <see cref="PathManagerMetrics"/>, read as an exporter reads them (a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>), over a path manager fed a synthetic event stream and an address
/// advertiser reconciling against the kernel-table model: every reading equals what the path manager and the
/// advertiser report, and what the stream implies.
/// </summary>
public sealed class PathManagerMetricsTests
{
    /// <summary>Every instrument: name → unit and kind (as OpenTelemetry exports them: monotonic sum or not).</summary>
    public static readonly Dictionary<string, (string Unit, string Kind)> Instruments = new(StringComparer.Ordinal)
    {
        ["tributary.mptcp.connections"] = ("{connection}", "ObservableUpDownCounter`1"),
        ["tributary.mptcp.subflows"] = ("{subflow}", "ObservableUpDownCounter`1"),
        ["tributary.mptcp.events"] = ("{event}", "ObservableCounter`1"),
        ["tributary.mptcp.events.dropped"] = ("{event}", "ObservableCounter`1"),
        ["tributary.mptcp.resyncs"] = ("{resync}", "ObservableCounter`1"),
        ["tributary.mptcp.monitor.resyncs"] = ("{resync}", "ObservableCounter`1"),
        ["tributary.mptcp.endpoints"] = ("{endpoint}", "ObservableUpDownCounter`1"),
        ["tributary.mptcp.addresses.waiting"] = ("{address}", "ObservableUpDownCounter`1"),
        ["tributary.mptcp.command.errors"] = ("{error}", "ObservableCounter`1"),
        ["tributary.mptcp.plugin.errors"] = ("{exception}", "ObservableCounter`1"),
    };

    private static readonly MptcpAddress L1 = A("10.11.1.1", 40001), R1 = A("10.11.1.2", 5201);
    private static readonly MptcpAddress L2 = A("10.11.2.1", 40002), R2 = A("10.11.2.2", 5201);

    private static MptcpAddress A(string ip, ushort port) => new(IPAddress.Parse(ip), port);

    private static MptcpEventAttributes Event(MptcpEventType type, uint token, MptcpAddress l, MptcpAddress r) => new()
    {
        Type = type,
        Token = token,
        Local = l,
        Remote = r,
        Present = MptcpEventAttribute.Token | MptcpEventAttribute.SourceAddress4 | MptcpEventAttribute.DestinationAddress4
            | MptcpEventAttribute.SourcePort | MptcpEventAttribute.DestinationPort | MptcpEventAttribute.Family
            | MptcpEventAttribute.LocalId | MptcpEventAttribute.RemoteId | MptcpEventAttribute.Backup
            | MptcpEventAttribute.ServerSide | MptcpEventAttribute.Timeout,
    };

    /// <summary>Plugin operations that record connections and throw on SUB_PRIORITY (a plugin bug the daemon survives).</summary>
    private sealed class FaultyOps : IMptcpPluginOps
    {
        public void SubflowPriority(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm) =>
            throw new InvalidOperationException("plugin bug");
    }

    private sealed class FaultyPlugin : MptcpPlugin
    {
        public override string Name => "faulty";

        public override bool Initialize(PathManager pathManager) => pathManager.RegisterOps(Name, new FaultyOps());
    }

    [Fact]
    public void Connection_subflow_event_drop_and_plugin_counts_equal_the_path_managers()
    {
        using var pm = new PathManager(new PathManagerOptions
        {
            PluginDirectory = Lab.AddrAdvLabTests.EmptyPluginDirectory(),
            BuiltInPlugins = [() => new FaultyPlugin()],
        }, client: null);
        Assert.True(pm.LoadPlugins());
        using var metrics = new PathManagerMetrics(pm);

        MetricReadings empty = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(Instruments, empty.Instruments.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
        Assert.Equal(0, empty.Value("tributary.mptcp.connections"));
        Assert.Equal(0, empty.Value("tributary.mptcp.events", PathManagerMetrics.EventAttribute, "created"));
        Assert.DoesNotContain(empty.Points, p => p.Name.StartsWith("tributary.mptcp.endpoints", StringComparison.Ordinal)); // no addr_adv

        pm.Dispatch(Event(MptcpEventType.Created, 1, L1, R1));
        pm.Dispatch(Event(MptcpEventType.Established, 1, L1, R1));
        pm.Dispatch(Event(MptcpEventType.Created, 2, L2, R2));
        pm.Dispatch(Event(MptcpEventType.SubflowEstablished, 1, L2, R1));
        pm.Dispatch(Event(MptcpEventType.SubflowEstablished, 1, L2, R1)); // repeated: dropped
        pm.Dispatch(Event(MptcpEventType.SubflowPriority, 1, L2, R1));    // the plugin throws
        pm.Dispatch(Event(MptcpEventType.SubflowEstablished, 9, L2, R1)); // nobody's token
        pm.Dispatch(Event(MptcpEventType.Closed, 2, default, default));
        pm.Dispatch(new MptcpEventAttributes { Type = MptcpEventType.Created, Present = MptcpEventAttribute.Token, Token = 3 }); // incomplete
        pm.Dispatch(Event(MptcpEventType.SubflowClosed, 1, L1, R1), fromResync: true); // derived by a resync: not received

        MetricReadings m = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(1, pm.TrackedConnections);
        Assert.Equal(pm.TrackedConnections, m.Value("tributary.mptcp.connections"));
        Assert.Equal(1, pm.TrackedSubflows); // L1>R1 closed by the resync, L2>R1 joined
        Assert.Equal(pm.TrackedSubflows, m.Value("tributary.mptcp.subflows"));
        var expected = new Dictionary<string, long>
        {
            ["created"] = 3,
            ["established"] = 1,
            ["closed"] = 1,
            ["sub_established"] = 3,
            ["sub_priority"] = 1,
            ["announced"] = 0,
            ["removed"] = 0,
            ["sub_closed"] = 0,
            ["listener_created"] = 0,
            ["listener_closed"] = 0,
            ["other"] = 0,
        };
        foreach ((string type, long count) in expected)
            Assert.Equal((type, count), (type, m.Value("tributary.mptcp.events", PathManagerMetrics.EventAttribute, type)));
        Assert.Equal(pm.EventsReceived(MptcpEventType.SubflowEstablished), m.Value("tributary.mptcp.events", PathManagerMetrics.EventAttribute, "sub_established"));
        Assert.Equal(1, m.Value("tributary.mptcp.events.dropped", PathManagerMetrics.DropReasonAttribute, "missing_attributes"));
        Assert.Equal(1, m.Value("tributary.mptcp.events.dropped", PathManagerMetrics.DropReasonAttribute, "unmatched_token"));
        Assert.Equal(1, m.Value("tributary.mptcp.events.dropped", PathManagerMetrics.DropReasonAttribute, "repeated"));
        Assert.Equal((pm.DroppedEvents, pm.UnmatchedTokens, pm.SuppressedEvents), (1L, 1L, 1L));
        Assert.Equal(pm.Resyncs, m.Value("tributary.mptcp.resyncs"));
        Assert.Equal(1, m.Value("tributary.mptcp.plugin.errors", PathManagerMetrics.PluginAttribute, "faulty"));
        Assert.Equal(1, pm.PluginFailures["faulty"]);

        pm.Dispatch(Event(MptcpEventType.Closed, 1, default, default));
        MetricReadings closed = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(0, closed.Value("tributary.mptcp.connections"));
        Assert.Equal(0, closed.Value("tributary.mptcp.subflows"));
        Assert.Equal(2, closed.Value("tributary.mptcp.events", PathManagerMetrics.EventAttribute, "closed"));
    }

    [Fact]
    public void The_readme_table_lists_every_instrument_with_its_unit()
    {
        string readme = File.ReadAllText(Path.Combine(SharedPaths.Repository, "README.md"));
        using var pm = new PathManager(new PathManagerOptions { PluginDirectory = Lab.AddrAdvLabTests.EmptyPluginDirectory() }, client: null);
        using var metrics = new PathManagerMetrics(pm);
        MetricReadings m = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(Instruments.Count, m.Instruments.Count);
        foreach ((string name, (string unit, _)) in m.Instruments)
            Assert.Contains($"| `{name}` | `{unit}` |", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_waiting_and_command_error_counts_equal_the_advertisers_table()
    {
        using var pm = new PathManager(new PathManagerOptions { PluginDirectory = Lab.AddrAdvLabTests.EmptyPluginDirectory() }, client: null);
        var table = new FakeEndpointTable();
        using var r = new EndpointReconciler(table, new MptcpIdManager(), MptcpEndpointFlags.Subflow, NullLogger.Instance);
        r.Start(new Dictionary<MptcpAddress, int>(), startWorker: false);
        using var metrics = new PathManagerMetrics(pm, () => r);

        for (int i = 0; i < 10; i++)
            r.AddressAppeared(2, IPAddress.Parse($"10.30.0.{i + 1}"), i < 3 ? MptcpEndpointFlags.Signal | MptcpEndpointFlags.Backup : null);
        Assert.True(r.ReconcileOnce());
        MetricReadings m = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(3, m.Value("tributary.mptcp.endpoints", PathManagerMetrics.EndpointFlagsAttribute, "signal,backup"));
        Assert.Equal(5, m.Value("tributary.mptcp.endpoints", PathManagerMetrics.EndpointFlagsAttribute, "subflow"));
        Assert.Equal(table.Endpoints.Count, m.Points.Where(p => p.Name == "tributary.mptcp.endpoints").Sum(p => p.Value));
        Assert.Equal(2, m.Value("tributary.mptcp.addresses.waiting"));
        Assert.DoesNotContain(m.Points, p => p.Name == "tributary.mptcp.command.errors");

        // Someone else takes the id the next address gets (3, freed by the removals): the add is refused (EBUSY), counted by errno name.
        r.AddressRemoved(IPAddress.Parse("10.30.0.1"));
        r.AddressRemoved(IPAddress.Parse("10.30.0.2"));
        r.AddressRemoved(IPAddress.Parse("10.30.0.3"));
        Assert.True(r.ReconcileOnce());
        table.Endpoints[3] = new MptcpEndpoint(3, IPAddress.Parse("10.99.0.1"), MptcpEndpointFlags.Signal, 5);
        r.AddressAppeared(2, IPAddress.Parse("10.30.0.50"));
        r.ReconcileOnce();
        MetricReadings after = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(0, after.Value("tributary.mptcp.endpoints", PathManagerMetrics.EndpointFlagsAttribute, "signal,backup")); // gone, reported as 0
        Assert.Equal(r.Endpoints.Count(e => e.Flags == MptcpEndpointFlags.Subflow),
            after.Value("tributary.mptcp.endpoints", PathManagerMetrics.EndpointFlagsAttribute, "subflow"));
        long errors = after.Points.Where(p => p.Name == "tributary.mptcp.command.errors").Sum(p => p.Value);
        Assert.Equal(r.Failures, errors);
        Assert.True(errors > 0, "the refused add was counted");
        Assert.All(after.Points.Where(p => p.Name == "tributary.mptcp.command.errors"),
            p => Assert.Equal(("add_addr", "EBUSY"), ((string?)p.Attributes[PathManagerMetrics.CommandAttribute], (string?)p.Attributes[PathManagerMetrics.ErrorTypeAttribute])));
        Assert.Equal(0, after.Value("tributary.mptcp.addresses.waiting"));
    }
}
