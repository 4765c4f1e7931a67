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
/// </summary>
public sealed partial class PathManager : IDisposable
{
    private readonly PathManagerOptions _options;
    private readonly ILogger _log;
    private readonly Lock _dispatch = new();
    private readonly List<Registration> _registrations = [];
    private readonly Dictionary<uint, Registration> _tokens = [];
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
        string? enabled = ReadSysctl(options.NetworkNamespace, "net/mptcp/enabled");
        if (enabled is null)
            throw new PathManagerException("Required kernel MPTCP support not available.");
        if (enabled.Trim() == "0")
            throw new PathManagerException("MPTCP is not enabled in the kernel.\nTry 'sysctl -w net.mptcp.enabled=1'.\nRequired kernel MPTCP support not available.");
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

    public string? NetworkNamespace => _options.NetworkNamespace;

    public ILogger Logger => _log;

    /// <summary>True once <see cref="Start"/> completed: plugins initialised, monitor running.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Raised once when the path manager is ready (mptcpd's <c>mptcpd_pm_ops.ready</c>).</summary>
    public event Action<PathManager>? Ready;

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
            _events = MptcpEventListener.Open(_options.NetworkNamespace);
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
                    _log.LogWarning("MPTCP event socket overflowed: connection events were lost.");
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
    /// </summary>
    internal void Dispatch(in MptcpEventAttributes e, string? pluginName = null)
    {
        lock (_dispatch)
        {
            _current = e;
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
                    _tokens[e.Token] = r;
                    Call(r, "new_connection", static (o, in e, pm) => o.NewConnection(e.Token, e.Local, e.Remote, e.ServerSide, e.DenyJoinId0, pm), e);
                    return;
                case MptcpEventType.ListenerCreated:
                case MptcpEventType.ListenerClosed:
                    r = DefaultRegistration();
                    if (r is null)
                        return;
                    if (e.Type == MptcpEventType.ListenerCreated)
                        Call(r, "listener_created", static (o, in e, pm) => o.ListenerCreated(e.Local, pm), e);
                    else
                        Call(r, "listener_closed", static (o, in e, pm) => o.ListenerClosed(e.Local, pm), e);
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
            if (!_tokens.TryGetValue(e.Token, out r))
            {
                Interlocked.Increment(ref _unmatchedTokens);
                _log.LogDebug("Unable to match token to plugin.");
                return;
            }
            switch (e.Type)
            {
                case MptcpEventType.Established:
                    Call(r, "connection_established", static (o, in e, pm) => o.ConnectionEstablished(e.Token, e.Local, e.Remote, e.ServerSide, e.DenyJoinId0, pm), e);
                    break;
                case MptcpEventType.Closed:
                    _tokens.Remove(e.Token);
                    Call(r, "connection_closed", static (o, in e, pm) => o.ConnectionClosed(e.Token, pm), e);
                    break;
                case MptcpEventType.Announced:
                    Call(r, "new_address", static (o, in e, pm) => o.NewAddress(e.Token, e.RemoteId, e.Remote, pm), e);
                    break;
                case MptcpEventType.Removed:
                    Call(r, "address_removed", static (o, in e, pm) => o.AddressRemoved(e.Token, e.RemoteId, pm), e);
                    break;
                case MptcpEventType.SubflowEstablished:
                    Call(r, "new_subflow", static (o, in e, pm) => o.NewSubflow(e.Token, e.Local, e.Remote, e.Backup, pm), e);
                    break;
                case MptcpEventType.SubflowClosed:
                    Call(r, "subflow_closed", static (o, in e, pm) => o.SubflowClosed(e.Token, e.Local, e.Remote, e.Backup, pm), e);
                    break;
                case MptcpEventType.SubflowPriority:
                    Call(r, "subflow_priority", static (o, in e, pm) => o.SubflowPriority(e.Token, e.Local, e.Remote, e.Backup, pm), e);
                    break;
            }
        }
    }

    private delegate void EventCall(IMptcpPluginOps ops, in MptcpEventAttributes e, PathManager pm);

    private void Call(Registration r, string op, EventCall call, in MptcpEventAttributes e)
    {
        try
        {
            call(r.Ops, e, this);
        }
#pragma warning disable CA1031 // a plugin's failure must not stop the daemon
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError(ex, "Plugin \"{Plugin}\" failed in {Operation}", r.Name, op);
        }
    }

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
        _client?.Dispose();
    }

    internal enum MonitorEventKind
    {
        NewInterface,
        UpdateInterface,
        DeleteInterface,
        NewAddress,
        DeleteAddress,
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
