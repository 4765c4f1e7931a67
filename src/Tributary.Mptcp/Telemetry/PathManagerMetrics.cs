using System.Diagnostics.Metrics;
using Tributary.Mptcp.Internal;

namespace Tributary.Mptcp.Telemetry;

/// <summary>
/// The path manager's state and counters as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <see cref="MeterName"/>), for an OpenTelemetry exporter or any other <see cref="MeterListener"/> (DESIGN.md "export to
/// existing engines"). Every instrument is observable: it reads what <see cref="PathManager"/> and the address
/// advertiser keep anyway (an interlocked increment per kernel event, a table snapshot per endpoint change) when a
/// listener collects, on the listener's thread; no instrument call is made on the event or reconciliation threads.
/// </summary>
/// <remarks>
/// The endpoint instruments report once the <c>addr_adv</c> plugin is loaded (they describe its view of the kernel's
/// table) and nothing otherwise. A collection is not a snapshot across instruments: an event may land between two.
/// </remarks>
public sealed class PathManagerMetrics : IDisposable
{
    /// <summary>The meter's name: what an OpenTelemetry <c>MeterProvider</c> is told to listen to.</summary>
    public const string MeterName = "Tributary.Mptcp";

    /// <summary>Attribute of <c>tributary.mptcp.events</c>: the kernel event's type (<c>created</c>, <c>sub_established</c> …).</summary>
    public const string EventAttribute = "mptcp.event";

    /// <summary>Attribute of <c>tributary.mptcp.events.dropped</c>: <c>missing_attributes</c>, <c>unmatched_token</c> or <c>repeated</c>.</summary>
    public const string DropReasonAttribute = "tributary.mptcp.drop_reason";

    /// <summary>Attribute of <c>tributary.mptcp.endpoints</c>: the endpoint's flags, comma-separated (<c>none</c> for none).</summary>
    public const string EndpointFlagsAttribute = "tributary.mptcp.endpoint.flags";

    /// <summary>Attribute of <c>tributary.mptcp.command.errors</c>: <c>add_addr</c>, <c>remove_addr</c> or <c>set_limits</c>.</summary>
    public const string CommandAttribute = "tributary.mptcp.command";

    /// <summary>Attribute of <c>tributary.mptcp.command.errors</c>: the errno name (OpenTelemetry's <c>error.type</c>).</summary>
    public const string ErrorTypeAttribute = "error.type";

    /// <summary>Attribute of <c>tributary.mptcp.plugin.errors</c>: the plugin's registered name.</summary>
    public const string PluginAttribute = "tributary.mptcp.plugin";

    /// <summary>The event types reported, with their attribute values (the others count as <c>other</c>).</summary>
    private static readonly (MptcpEventType Type, string Name)[] EventTypes =
    [
        (MptcpEventType.Created, "created"),
        (MptcpEventType.Established, "established"),
        (MptcpEventType.Closed, "closed"),
        (MptcpEventType.Announced, "announced"),
        (MptcpEventType.Removed, "removed"),
        (MptcpEventType.SubflowEstablished, "sub_established"),
        (MptcpEventType.SubflowClosed, "sub_closed"),
        (MptcpEventType.SubflowPriority, "sub_priority"),
        (MptcpEventType.ListenerCreated, "listener_created"),
        (MptcpEventType.ListenerClosed, "listener_closed"),
        (MptcpEventType.Unspecified, "other"),
    ];

    private readonly PathManager _pm;
    private readonly Func<EndpointReconciler?> _reconciler;
    private readonly Meter _meter;
    /// <summary>Every flags value reported so far: one that no endpoint has any more is reported as 0, not left out.</summary>
    private readonly SortedSet<string> _flagsSeen = new(StringComparer.Ordinal);

    public PathManagerMetrics(PathManager pathManager)
        : this(pathManager, null)
    {
    }

    /// <param name="pathManager">The path manager whose counters are read.</param>
    /// <param name="reconciler">Where the endpoint instruments read (tests); null: the loaded <c>addr_adv</c> plugin's.</param>
    internal PathManagerMetrics(PathManager pathManager, Func<EndpointReconciler?>? reconciler)
    {
        ArgumentNullException.ThrowIfNull(pathManager);
        _pm = pathManager;
        _reconciler = reconciler ?? (() => _pm.Plugins.OfType<AddrAdvPlugin>().FirstOrDefault()?.Reconciler);
        _meter = new Meter(MeterName, typeof(PathManagerMetrics).Assembly.GetName().Version?.ToString());
        _meter.CreateObservableUpDownCounter("tributary.mptcp.connections", () => (long)_pm.TrackedConnections, "{connection}",
            "MPTCP connections tracked now (created and not closed).");
        _meter.CreateObservableUpDownCounter("tributary.mptcp.subflows", () => (long)_pm.TrackedSubflows, "{subflow}",
            "Subflows of the tracked connections now: each connection's initial one and those established since.");
        _meter.CreateObservableCounter("tributary.mptcp.events", Events, "{event}",
            "MPTCP events received from the kernel, by type (mptcp.event).");
        _meter.CreateObservableCounter("tributary.mptcp.events.dropped", Dropped, "{event}",
            "Kernel events no plugin was given, by reason: missing_attributes, unmatched_token (a connection older than the daemon or already closed), repeated (a change a resync already reported).");
        _meter.CreateObservableCounter("tributary.mptcp.resyncs", () => _pm.Resyncs, "{resync}",
            "Times the event socket overflowed and the connections were re-read from the kernel.");
        _meter.CreateObservableCounter("tributary.mptcp.monitor.resyncs", () => _pm.Monitor?.ResyncCount ?? 0, "{resync}",
            "Times the network monitor's socket overflowed and interfaces and addresses were re-read from the kernel.");
        _meter.CreateObservableUpDownCounter("tributary.mptcp.endpoints", Endpoints, "{endpoint}",
            "In-kernel path-manager endpoints (the table the address advertiser keeps), by flags.");
        _meter.CreateObservableUpDownCounter("tributary.mptcp.addresses.waiting", Waiting, "{address}",
            "Eligible local addresses without an endpoint because the kernel's eight are taken.");
        _meter.CreateObservableCounter("tributary.mptcp.command.errors", CommandErrors, "{error}",
            "Endpoint and limit commands the kernel refused, by command and errno name (error.type).");
        _meter.CreateObservableCounter("tributary.mptcp.plugin.errors", PluginErrors, "{exception}",
            "Plugin callbacks that threw (logged; the daemon goes on), by plugin.");
    }

    /// <summary>The meter holding the instruments.</summary>
    public Meter Meter => _meter;

    /// <summary>The attribute value naming endpoint flags: the names in the kernel's bit order, comma-separated, or <c>none</c>.</summary>
    public static string FlagsText(MptcpEndpointFlags flags) =>
        flags == MptcpEndpointFlags.None ? "none" : string.Join(',', MptcpEndpoint.FlagNames.Where(f => (flags & f.Flag) != 0).Select(f => f.Name));

    private Measurement<long>[] Events() =>
        [.. EventTypes.Select(t => new Measurement<long>(_pm.EventsReceived(t.Type), new KeyValuePair<string, object?>(EventAttribute, t.Name)))];

    private Measurement<long>[] Dropped() =>
    [
        new(_pm.DroppedEvents, new KeyValuePair<string, object?>(DropReasonAttribute, "missing_attributes")),
        new(_pm.UnmatchedTokens, new KeyValuePair<string, object?>(DropReasonAttribute, "unmatched_token")),
        new(_pm.SuppressedEvents, new KeyValuePair<string, object?>(DropReasonAttribute, "repeated")),
    ];

    private EndpointReconciler? Reconciler => _reconciler();

    private Measurement<long>[] Endpoints()
    {
        if (Reconciler is not { } r)
            return [];
        Dictionary<string, int> counts = r.Endpoints.GroupBy(e => FlagsText(e.Flags)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        lock (_flagsSeen)
        {
            _flagsSeen.UnionWith(counts.Keys);
            return [.. _flagsSeen.Select(f => new Measurement<long>(counts.GetValueOrDefault(f),
                new KeyValuePair<string, object?>(EndpointFlagsAttribute, f)))];
        }
    }

    private Measurement<long>[] Waiting() => Reconciler is { } r ? [new(r.Waiting)] : [];

    private Measurement<long>[] CommandErrors()
    {
        if (Reconciler is not { } r)
            return [];
        return [.. r.FailureKinds.Select(f => new Measurement<long>(f.Count,
            new KeyValuePair<string, object?>(CommandAttribute, f.Command), new KeyValuePair<string, object?>(ErrorTypeAttribute, f.Error)))];
    }

    private Measurement<long>[] PluginErrors() =>
        [.. _pm.PluginFailures.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>(PluginAttribute, kv.Key)))];

    /// <summary>Ends the instruments (an exporter's last collection must come before).</summary>
    public void Dispose() => _meter.Dispose();
}
