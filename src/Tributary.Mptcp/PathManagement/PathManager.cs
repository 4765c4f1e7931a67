using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Links;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// The path-manager core (mptcpd's <c>mptcpd_pm</c>, INVENTORY b.1/c.4): it owns the kernel PM client,
/// the MPTCP event listener, the network monitor, the id and listener managers and the plugins, and
/// dispatches events: connection events by token to the plugin that took the connection at CREATED
/// (the default plugin), listener events to the default plugin, network-monitor events to every plugin.
/// <para>Start-up follows mptcpd (sync the id manager with the kernel's endpoints, load plugins, join
/// the events group) with one fix: the network monitor starts only once the plugins are loaded, so no
/// address can be reported to an empty plugin list (the latent race of INVENTORY b.1 step 4). The
/// token map is pruned at CLOSED and a reused token goes to the plugin that takes the new connection
/// (mptcpd kept every token forever and resolved a reused one to the old plugin).</para>
/// <para>Events are never lost for good (mptcpd 0.12 stayed deaf to the connections it missed): when
/// the event socket overflows, the connections are re-read from the kernel (sock_diag) and the
/// missed transitions are delivered (<see cref="Resyncs"/>). Every connection callback follows from a
/// change of what the path manager has reported, so an event that repeats it is dropped
/// (<see cref="SuppressedEvents"/>).</para>
/// </summary>
public sealed partial class PathManager : IDisposable
{
    private readonly PathManagerOptions _options;
    private readonly ILogger _log;
    private readonly Lock _dispatch = new();
    private readonly List<Registration> _registrations = [];
    private readonly Dictionary<uint, TrackedConnection> _tokens = [];
    private readonly SortedDictionary<int, LocalInterface> _interfaces = [];
    private volatile LocalInterface[] _interfaceSnapshot = [];
    private readonly MptcpPmClient? _client;
    private List<MptcpPlugin> _plugins = [];
    private MptcpEventListener? _events;
    private NetworkMonitor? _monitor;
    private IDisposable? _monitorRegistration;
    private Thread? _eventThread;
    private volatile bool _stopping;
    private bool _started;
    private bool _disposed;
    private MptcpEventAttributes _current;
    private long _droppedEvents;
    private long _unmatchedTokens;
    private long _suppressedEvents;
    private long _resyncs;
    /// <summary>Kernel events received, by <see cref="MptcpEventType"/> value (index 0: any value outside the array).</summary>
    private readonly long[] _eventsReceived = new long[(int)MptcpEventType.ListenerClosed + 1];
    /// <summary>Plugin operations that threw, by plugin name (written under the dispatch lock).</summary>
    private readonly Dictionary<string, long> _pluginFailures = new(StringComparer.Ordinal);
    private MptcpDiagClient? _diag;
    private readonly ManualResetEventSlim _eventGate = new(true);
    private readonly ManualResetEventSlim _eventLoopParked = new(false);

    internal PathManager(PathManagerOptions options, MptcpPmClient? client)
    {
        _options = options;
        _log = options.Logger ?? NullLogger.Instance;
        _client = client;
        Listeners = new MptcpListenerManager(options.NetworkNamespace);
    }

    /// <summary>
    /// Checks that MPTCP is available and enabled in the namespace and connects to the kernel's
    /// mptcp_pm family (<c>mptcpd_pm_create</c>). Nothing runs until <see cref="Start"/>.
    /// </summary>
    /// <exception cref="PathManagerException">MPTCP is missing or disabled (net.mptcp.enabled=0).</exception>
    public static PathManager Create(PathManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckEnabled(options);
        MptcpPmClient client;
        try
        {
            client = MptcpPmClient.Open(options.NetworkNamespace);
        }
        catch (NetlinkException ex)
        {
            throw new PathManagerException($"MPTCP generic netlink family has not appeared ({ex.Message}).\nRequired kernel MPTCP support not available.", ex);
        }
        return new PathManager(options, client);
    }

    /// <summary>
    /// As <see cref="Create(PathManagerOptions)"/>, but when the kernel has no "mptcp_pm" family yet,
    /// waits for it as mptcpd does (a warning after <paramref name="warnAfter"/>, then on waiting)
    /// instead of failing. Null when <paramref name="cancellationToken"/> is cancelled during the wait.
    /// </summary>
    /// <exception cref="PathManagerException">MPTCP is missing or disabled (net.mptcp.enabled=0).</exception>
    public static PathManager? Create(PathManagerOptions options, TimeSpan warnAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckEnabled(options);
        try
        {
            if (!MptcpPmClient.WaitForFamily(options.NetworkNamespace, warnAfter, options.Logger, cancellationToken))
                return null;
        }
        catch (NetlinkException ex)
        {
            throw new PathManagerException($"Unable to watch for the MPTCP generic netlink family ({ex.Message}).", ex);
        }
        return Create(options);
    }

    private static void CheckEnabled(PathManagerOptions options)
    {
        string? enabled = ReadSysctl(options.NetworkNamespace, "net/mptcp/enabled");
        if (enabled is null)
            throw new PathManagerException("Required kernel MPTCP support not available.");
        if (enabled.Trim() == "0")
            throw new PathManagerException("MPTCP is not enabled in the kernel.\nTry 'sysctl -w net.mptcp.enabled=1'.\nRequired kernel MPTCP support not available.");
    }

    /// <summary>The kernel PM client (every mptcp_pm command; each waits for the kernel's answer).</summary>
    public MptcpPmClient Commands => _client ?? throw new InvalidOperationException("this path manager is not connected to the kernel");

    /// <summary>Local address ids, shared by all plugins and synchronised with the kernel's endpoints at start.</summary>
    public MptcpIdManager Ids { get; } = new();

    /// <summary>MPTCP listeners for announced addresses (userspace path management).</summary>
    public MptcpListenerManager Listeners { get; }

    /// <summary>The network monitor, once started.</summary>
    public NetworkMonitor? Monitor => _monitor;

    public PathManagerOptions Options => _options;

    /// <summary>mptcpd's addr-flags.</summary>
    public MptcpEndpointFlags AddressFlags => _options.AddressFlags;

    public NotifyFlags NotifyFlags => _options.NotifyFlags;

    /// <summary>
    /// Whether the addresses of the interface named <paramref name="interfaceName"/> may become endpoints: it
    /// matches <see cref="PathManagerOptions.Interfaces"/> (when set) and none of
    /// <see cref="PathManagerOptions.ExcludeInterfaces"/>. addr_adv ignores the addresses of other interfaces.
    /// </summary>
    public bool UsesInterface(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (_options.Interfaces is { } allowed && !allowed.Any(p => p.Matches(interfaceName)))
            return false;
        return !_options.ExcludeInterfaces.Any(p => p.Matches(interfaceName));
    }

    /// <summary>The endpoint flags for an address of this interface: the first matching <see cref="PathManagerOptions.InterfaceFlags"/> entry, else addr-flags.</summary>
    public MptcpEndpointFlags EndpointFlagsFor(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        foreach (InterfaceEndpointFlags f in _options.InterfaceFlags)
        {
            if (f.Interface.Matches(interfaceName))
                return f.Flags;
        }
        return _options.AddressFlags;
    }

    public string? NetworkNamespace => _options.NetworkNamespace;

    public ILogger Logger => _log;

    /// <summary>True once <see cref="Start"/> completed: plugins initialised, monitor running.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Raised once when the path manager is ready (mptcpd's <c>mptcpd_pm_ops.ready</c>).</summary>
    public event Action<PathManager>? Ready;

    /// <summary>
    /// Raised for every MPTCP event delivered to a plugin, after the plugin's operation, with the operation's name
    /// (<c>new_connection</c>, <c>connection_established</c>, …) and the plugin's: the events as plugins see them
    /// (repeats dropped, transitions a resync derived included). Raised on the event thread under the dispatch
    /// lock: a handler must return at once (queue the event) and must not call back into the path manager.
    /// </summary>
    public event Action<string, string, MptcpEventAttributes>? EventDelivered;

    /// <summary>The loaded plugins in initialisation order.</summary>
    public IReadOnlyList<MptcpPlugin> Plugins => _plugins;

    /// <summary>Names of the registered plugin operations, in registration order.</summary>
    public IReadOnlyList<string> RegisteredPlugins
    {
        get
        {
            lock (_dispatch)
                return _registrations.Select(r => r.Name).ToList();
        }
    }

    /// <summary>The plugin that takes new connections: <c>path-manager</c> if registered, else the first registered.</summary>
    public string? DefaultPluginName
    {
        get
        {
            lock (_dispatch)
                return DefaultRegistration()?.Name;
        }
    }

    /// <summary>Snapshots of the tracked interfaces in ifindex order, readable from any thread.</summary>
    public IReadOnlyList<LocalInterface> Interfaces => _interfaceSnapshot;

    /// <summary>All attributes of the MPTCP event being dispatched (valid during a connection or listener operation).</summary>
    public ref readonly MptcpEventAttributes CurrentEvent => ref _current;

    /// <summary>MPTCP events dropped because required attributes were missing.</summary>
    public long DroppedEvents => Interlocked.Read(ref _droppedEvents);

    /// <summary>Connection events whose token no plugin had taken (e.g. connections older than the daemon).</summary>
    public long UnmatchedTokens => Interlocked.Read(ref _unmatchedTokens);

    /// <summary>
    /// Connection events dropped because they repeated what plugins were already told (an event queued
    /// before a resync that reported the same change).
    /// </summary>
    public long SuppressedEvents => Interlocked.Read(ref _suppressedEvents);

    /// <summary>How many times the event socket overflowed and the connections were re-read from the kernel.</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>
    /// MPTCP events of type <paramref name="type"/> received from the kernel (resync-derived transitions are not
    /// counted), including those dropped afterwards. Types the daemon does not know are counted under
    /// <see cref="MptcpEventType.Unspecified"/>.
    /// </summary>
    public long EventsReceived(MptcpEventType type) => Interlocked.Read(ref _eventsReceived[EventIndex(type)]);

    private int EventIndex(MptcpEventType type) => type > 0 && (int)type < _eventsReceived.Length ? (int)type : 0;

    /// <summary>Plugin operations that threw (the daemon logged the exception and went on), by plugin name.</summary>
    public IReadOnlyDictionary<string, long> PluginFailures
    {
        get
        {
            lock (_dispatch)
                return new Dictionary<string, long>(_pluginFailures, StringComparer.Ordinal);
        }
    }

    /// <summary>Live subflows of the connections mapped to a plugin: each connection's initial one and those joined since.</summary>
    public int TrackedSubflows
    {
        get
        {
            lock (_dispatch)
            {
                int n = 0;
                foreach (TrackedConnection c in _tokens.Values)
                    n += c.Subflows.Count;
                return n;
            }
        }
    }

    /// <summary>Connections currently mapped to a plugin.</summary>
    public int TrackedConnections
    {
        get
        {
            lock (_dispatch)
                return _tokens.Count;
        }
    }

    /// <summary>The tracked interface with this index, or null.</summary>
    public LocalInterface? FindInterface(int index)
    {
        foreach (LocalInterface i in _interfaceSnapshot)
        {
            if (i.Index == index)
                return i;
        }
        return null;
    }

    /// <summary>The tracked interface holding <paramref name="address"/> (port ignored), or null.</summary>
    public LocalInterface? FindInterface(MptcpAddress address)
    {
        foreach (LocalInterface i in _interfaceSnapshot)
        {
            if (i.HasAddress(address))
                return i;
        }
        return null;
    }

    /// <summary>
    /// Registers a plugin's operations under <paramref name="name"/> (<c>mptcpd_plugin_register_ops</c>).
    /// False, with a warning, when the name is already registered (mptcpd 0.12 silently kept both).
    /// </summary>
    public bool RegisterOps(string name, IMptcpPluginOps ops)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(ops);
        lock (_dispatch)
        {
            if (_registrations.Any(r => r.Name == name))
            {
                _log.LogWarning("Plugin operations named \"{Name}\" are already registered; the second registration is ignored.", name);
                return false;
            }
            _registrations.Add(new Registration(name, ops));
            return true;
        }
    }

    /// <summary>
    /// Synchronises the id manager with the kernel's endpoints, loads and initialises the plugins,
    /// joins the MPTCP events group, starts the network monitor (with <c>existing</c>, the current
    /// addresses are reported to the plugins before this returns), then raises <see cref="Ready"/>.
    /// </summary>
    /// <exception cref="PathManagerException">No plugin registered, or the plugin directory was refused.</exception>
    public void Start()
    {
        lock (_dispatch)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
                throw new InvalidOperationException("the path manager is already started");
            _started = true;
        }
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (MptcpEndpoint e in Commands.DumpEndpoints())
        {
            if (Ids.MapId(e.Address, e.Id))
                _log.LogDebug("ID sync: {Id} | {Address}", e.Id, e.Address);
        }
        long tIds = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!LoadPlugins())
            throw new PathManagerException("Unable to load path manager plugins.");
        long tPlugins = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            _events = MptcpEventListener.Open(_options.NetworkNamespace,
                _options.EventReceiveBufferSize > 0 ? _options.EventReceiveBufferSize : MptcpEventListener.DefaultReceiveBufferSize);
        }
        catch (NetlinkException ex) when (ex.ErrnoName == "EPERM")
        {
            // mptcpd goes on without events, and then every endpoint and limit command fails with EPERM too (a log
            // flood: mptcpd#285). Without the capability nothing can be managed: a clear start-up error instead.
            throw new PathManagerException($"Unable to register handler for mptcp_pm_events: {ex.Message}. Managing MPTCP paths "
                + "needs CAP_NET_ADMIN: run as root, or give the service AmbientCapabilities=CAP_NET_ADMIN.");
        }
        catch (NetlinkException ex)
        {
            _log.LogWarning("Unable to register handler for mptcp_pm_events: {Error}", ex.Message);
        }
        var monitorOptions = new NetworkMonitorOptions
        {
            NetworkNamespace = _options.NetworkNamespace,
            Logger = _log,
            ReceiveBufferSize = _options.MonitorReceiveBufferSize > 0 ? _options.MonitorReceiveBufferSize : new NetworkMonitorOptions().ReceiveBufferSize,
        };
        long tEvents = System.Diagnostics.Stopwatch.GetTimestamp();
        _monitor = NetworkMonitor.Create(_options.NotifyFlags, monitorOptions);
        _monitorRegistration = _monitor.RegisterOps(new MonitorOps(this));
        _monitor.Start();
        // Interfaces found at start are stored silently (no callback): take them from the monitor's state.
        _monitor.ForEachInterface((i, _) =>
        {
            lock (_dispatch)
                _interfaces[i.Index] = LocalInterface.From(i);
        });
        lock (_dispatch)
            PublishInterfaces();
        IsReady = true;
        Ready?.Invoke(this);
        _log.LogDebug("start-up: id sync {Ids:0.0} ms, plugins {Plugins:0.0} ms, events {Events:0.0} ms, monitor and ready {Monitor:0.0} ms",
            Ms(t0, tIds), Ms(tIds, tPlugins), Ms(tPlugins, tEvents), Ms(tEvents, System.Diagnostics.Stopwatch.GetTimestamp()));
        if (_events is not null)
        {
            _eventThread = new Thread(EventLoop) { IsBackground = true, Name = "tributary mptcp events" };
            _eventThread.Start();
        }
    }

    private static double Ms(long from, long to) => System.Diagnostics.Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private void EventLoop()
    {
        while (!_stopping)
        {
            if (!_eventGate.IsSet && !WaitAtGate())
                return;
            MptcpEventReadResult r;
            MptcpEventAttributes a;
            try
            {
                r = _events!.TryRead(out a, 200);
            }
            catch (Exception ex) when (ex is NetlinkException or ObjectDisposedException)
            {
                if (!_stopping)
                    _log.LogError("MPTCP event socket failed: {Error}", ex.Message);
                return;
            }
            switch (r)
            {
                case MptcpEventReadResult.Event:
                    Dispatch(a);
                    break;
                case MptcpEventReadResult.Overrun:
                    _log.LogWarning("MPTCP event socket overflowed: connection events were lost; re-reading the connections from the kernel.");
                    Resync();
                    break;
                case MptcpEventReadResult.FamilyRemoved:
                    IsReady = false;
                    _log.LogWarning("MPTCP generic netlink family has vanished.");
                    break;
                case MptcpEventReadResult.FamilyAdded:
                    IsReady = true;
                    _log.LogInformation("\"mptcp_pm\" generic netlink family appeared");
                    break;
            }
        }
    }

    /// <summary>
    /// Dispatches one MPTCP event (INVENTORY b.4, c.4). <paramref name="pluginName"/> picks the plugin for
    /// CREATED as mptcpd's internal API allows (an unknown name falls back to the default plugin).
    /// Connection events update what the path manager has reported (connections, whether established,
    /// subflows) and an event that repeats it is dropped: CREATED of a known connection, a second
    /// ESTABLISHED, SUB_ESTABLISHED of a known subflow, SUB_CLOSED of a subflow a resync already
    /// closed. CREATED reusing the token of another known connection first closes that one (its CLOSED
    /// was lost). <paramref name="fromResync"/>: a transition derived by <see cref="Resync"/>.
    /// </summary>
    internal void Dispatch(in MptcpEventAttributes e, string? pluginName = null, bool fromResync = false)
    {
        if (!fromResync)
            Interlocked.Increment(ref _eventsReceived[EventIndex(e.Type)]);
        lock (_dispatch)
        {
            if (e.MissingRequired != MptcpEventAttribute.None)
            {
                Interlocked.Increment(ref _droppedEvents);
                _log.LogError("Required MPTCP_EVENT_{Event} message attributes are missing.", EventName(e.Type));
                return;
            }
            Registration? r;
            switch (e.Type)
            {
                case MptcpEventType.Created:
                    r = (pluginName is null ? null : Find(pluginName)) ?? DefaultRegistration();
                    if (r is null)
                        return;
                    if (_tokens.TryGetValue(e.Token, out TrackedConnection? old))
                    {
                        if (old.Local == e.Local && old.Remote == e.Remote)
                        {
                            Suppress(e);
                            return;
                        }
                        _tokens.Remove(e.Token);
                        Deliver(old.Plugin, ClosedEvent(e.Token));
                    }
                    var created = new TrackedConnection(r, e.Local, e.Remote);
                    created.Subflows.Add(new SubflowKey(e.Local, e.Remote));
                    _tokens[e.Token] = created;
                    Deliver(r, e);
                    return;
                case MptcpEventType.ListenerCreated:
                case MptcpEventType.ListenerClosed:
                    r = DefaultRegistration();
                    if (r is not null)
                        Deliver(r, e);
                    return;
                case MptcpEventType.Established:
                case MptcpEventType.Closed:
                case MptcpEventType.Announced:
                case MptcpEventType.Removed:
                case MptcpEventType.SubflowEstablished:
                case MptcpEventType.SubflowClosed:
                case MptcpEventType.SubflowPriority:
                    break;
                default:
                    _log.LogDebug("Unhandled MPTCP event: {Event}", (int)e.Type);
                    return;
            }
            if (!_tokens.TryGetValue(e.Token, out TrackedConnection? c))
            {
                Interlocked.Increment(ref _unmatchedTokens);
                _log.LogDebug("Unable to match token to plugin.");
                return;
            }
            var subflow = new SubflowKey(e.Local, e.Remote);
            switch (e.Type)
            {
                case MptcpEventType.Established:
                    if (c.Established)
                    {
                        Suppress(e);
                        return;
                    }
                    c.Established = true;
                    break;
                case MptcpEventType.Closed:
                    _tokens.Remove(e.Token);
                    break;
                case MptcpEventType.SubflowEstablished:
                    if (!c.Subflows.Add(subflow))
                    {
                        Suppress(e);
                        return;
                    }
                    c.ClosedByResync?.Remove(subflow);
                    break;
                case MptcpEventType.SubflowClosed:
                    if (fromResync)
                    {
                        (c.ClosedByResync ??= []).Add(subflow);
                    }
                    else if (c.ClosedByResync?.Remove(subflow) == true)
                    {
                        Suppress(e);
                        return;
                    }
                    // A SUB_CLOSED of a subflow never established (a failed join) still goes out: plugins
                    // waiting for a subflow they asked for learn that it failed.
                    c.Subflows.Remove(subflow);
                    break;
            }
            Deliver(c.Plugin, e);
        }
    }

    private void Suppress(in MptcpEventAttributes e)
    {
        Interlocked.Increment(ref _suppressedEvents);
        _log.LogDebug("MPTCP_EVENT_{Event} of token {Token:x8} repeats what plugins were told; dropped.", EventName(e.Type), e.Token);
    }

    private static MptcpEventAttributes ClosedEvent(uint token) =>
        new() { Type = MptcpEventType.Closed, Present = MptcpEventAttribute.Token, Token = token };

    /// <summary>Calls the plugin operation of <paramref name="e"/>'s type; <see cref="CurrentEvent"/> is <paramref name="e"/> meanwhile.</summary>
    private void Deliver(Registration r, in MptcpEventAttributes e)
    {
        _current = e;
        string op = "";
        try
        {
            switch (e.Type)
            {
                case MptcpEventType.Created:
                    op = "new_connection";
                    r.Ops.NewConnection(e.Token, e.Local, e.Remote, e.ServerSide, e.DenyJoinId0, this);
                    break;
                case MptcpEventType.Established:
                    op = "connection_established";
                    r.Ops.ConnectionEstablished(e.Token, e.Local, e.Remote, e.ServerSide, e.DenyJoinId0, this);
                    break;
                case MptcpEventType.Closed:
                    op = "connection_closed";
                    r.Ops.ConnectionClosed(e.Token, this);
                    break;
                case MptcpEventType.Announced:
                    op = "new_address";
                    r.Ops.NewAddress(e.Token, e.RemoteId, e.Remote, this);
                    break;
                case MptcpEventType.Removed:
                    op = "address_removed";
                    r.Ops.AddressRemoved(e.Token, e.RemoteId, this);
                    break;
                case MptcpEventType.SubflowEstablished:
                    op = "new_subflow";
                    r.Ops.NewSubflow(e.Token, e.Local, e.Remote, e.Backup, this);
                    break;
                case MptcpEventType.SubflowClosed:
                    op = "subflow_closed";
                    r.Ops.SubflowClosed(e.Token, e.Local, e.Remote, e.Backup, this);
                    break;
                case MptcpEventType.SubflowPriority:
                    op = "subflow_priority";
                    r.Ops.SubflowPriority(e.Token, e.Local, e.Remote, e.Backup, this);
                    break;
                case MptcpEventType.ListenerCreated:
                    op = "listener_created";
                    r.Ops.ListenerCreated(e.Local, this);
                    break;
                case MptcpEventType.ListenerClosed:
                    op = "listener_closed";
                    r.Ops.ListenerClosed(e.Local, this);
                    break;
            }
        }
#pragma warning disable CA1031 // a plugin's failure must not stop the daemon
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountPluginFailure(r);
            _log.LogError(ex, "Plugin \"{Plugin}\" failed in {Operation}", r.Name, op);
        }
        try
        {
            EventDelivered?.Invoke(op, r.Name, e);
        }
#pragma warning disable CA1031 // an observer's failure must not stop the daemon
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError(ex, "An observer of MPTCP events failed in {Operation}", op);
        }
    }

    /// <summary>Counts a plugin operation that threw; under the dispatch lock.</summary>
    private void CountPluginFailure(Registration r) =>
        _pluginFailures[r.Name] = _pluginFailures.GetValueOrDefault(r.Name) + 1;

    private static string EventName(MptcpEventType t) => t switch
    {
        MptcpEventType.Created => "CREATED",
        MptcpEventType.Established => "ESTABLISHED",
        MptcpEventType.Closed => "CLOSED",
        MptcpEventType.Announced => "ANNOUNCED",
        MptcpEventType.Removed => "REMOVED",
        MptcpEventType.SubflowEstablished => "SUB_ESTABLISHED",
        MptcpEventType.SubflowClosed => "SUB_CLOSED",
        MptcpEventType.SubflowPriority => "SUB_PRIORITY",
        MptcpEventType.ListenerCreated => "LISTENER_CREATED",
        MptcpEventType.ListenerClosed => "LISTENER_CLOSED",
        _ => ((int)t).ToString(CultureInfo.InvariantCulture),
    };

    private Registration? Find(string name)
    {
        foreach (Registration r in _registrations)
        {
            if (r.Name == name)
                return r;
        }
        return null;
    }

    private Registration? DefaultRegistration()
    {
        if (_options.DefaultPlugin is { Length: > 0 } name && Find(name) is { } named)
            return named;
        return _registrations.Count > 0 ? _registrations[0] : null;
    }

    private void PublishInterfaces() => _interfaceSnapshot = [.. _interfaces.Values];

    /// <summary>Network-monitor events: keep the interface snapshots, then fan out to every plugin.</summary>
    internal void DispatchMonitorEvent(MonitorEventKind kind, InterfaceInfo info, IPAddress? address)
    {
        lock (_dispatch)
        {
            if (kind == MonitorEventKind.DeleteInterface)
                _interfaces.Remove(info.Index);
            else
                _interfaces[info.Index] = LocalInterface.From(info);
            PublishInterfaces();
            foreach (Registration r in _registrations.ToArray())
            {
                try
                {
                    switch (kind)
                    {
                        case MonitorEventKind.NewInterface: r.Ops.NewInterface(info, this); break;
                        case MonitorEventKind.UpdateInterface: r.Ops.UpdateInterface(info, this); break;
                        case MonitorEventKind.DeleteInterface: r.Ops.DeleteInterface(info, this); break;
                        case MonitorEventKind.NewAddress: r.Ops.NewLocalAddress(info, address!, this); break;
                        case MonitorEventKind.DeleteAddress: r.Ops.DeleteLocalAddress(info, address!, this); break;
                    }
                }
#pragma warning disable CA1031 // a plugin's failure must not stop the monitor or the other plugins
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    CountPluginFailure(r);
                    _log.LogError(ex, "Plugin \"{Plugin}\" failed in {Operation}", r.Name, kind);
                }
            }
        }
    }

    /// <summary>Reads /proc/sys/NAME inside the namespace (null: own); null when the file does not exist.</summary>
    internal static string? ReadSysctl(string? networkNamespace, string name)
    {
        string path = "/proc/sys/" + name;
        string? Read()
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return networkNamespace is null ? Read() : Tributary.Netlink.NetworkNamespace.Run(networkNamespace, Read);
    }

    /// <summary>Stops the event thread and the monitor, runs every plugin's exit (reverse order), closes listeners and sockets.</summary>
    public void Dispose()
    {
        lock (_dispatch)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _stopping = true;
        _eventThread?.Join();
        _monitorRegistration?.Dispose();
        _monitor?.Dispose();
        UnloadPlugins();
        Listeners.Dispose();
        _events?.Dispose();
        _diag?.Dispose();
        _client?.Dispose();
        _eventGate.Dispose();
        _eventLoopParked.Dispose();
    }

    internal enum MonitorEventKind
    {
        NewInterface,
        UpdateInterface,
        DeleteInterface,
        NewAddress,
        DeleteAddress,
    }

    /// <summary>A connection as plugins know it: the plugin that took it, and what they were told.</summary>
    private sealed class TrackedConnection(Registration plugin, MptcpAddress local, MptcpAddress remote)
    {
        public Registration Plugin { get; } = plugin;

        public MptcpAddress Local { get; } = local;

        public MptcpAddress Remote { get; } = remote;

        public bool Established { get; set; }

        /// <summary>Live subflows: the initial one (from CREATED) and those reported established since.</summary>
        public HashSet<SubflowKey> Subflows { get; } = [];

        /// <summary>Subflows the last resync reported closed: their own SUB_CLOSED may still be queued.</summary>
        public HashSet<SubflowKey>? ClosedByResync { get; set; }
    }

    private sealed class Registration(string name, IMptcpPluginOps ops)
    {
        public string Name { get; } = name;

        public IMptcpPluginOps Ops { get; } = ops;
    }

    private sealed class MonitorOps(PathManager pm) : INetworkMonitorOps
    {
        public void NewInterface(InterfaceInfo i, object? userData) => pm.DispatchMonitorEvent(MonitorEventKind.NewInterface, i, null);

        public void UpdateInterface(InterfaceInfo i, object? userData) => pm.DispatchMonitorEvent(MonitorEventKind.UpdateInterface, i, null);

        public void DeleteInterface(InterfaceInfo i, object? userData) => pm.DispatchMonitorEvent(MonitorEventKind.DeleteInterface, i, null);

        public void NewAddress(InterfaceInfo i, IPAddress address, object? userData) => pm.DispatchMonitorEvent(MonitorEventKind.NewAddress, i, address);

        public void DeleteAddress(InterfaceInfo i, IPAddress address, object? userData) => pm.DispatchMonitorEvent(MonitorEventKind.DeleteAddress, i, address);
    }
}
