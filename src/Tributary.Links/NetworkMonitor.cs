using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links;

/// <summary>
/// A live view of the network interfaces and addresses of one network namespace, with mptcpd's
/// network-monitor semantics (reference/mptcpd/INVENTORY.md (a)): only interfaces that are UP and
/// RUNNING are tracked (loopback only when <see cref="MonitorLoopback"/> is on); the links found at
/// start, and their addresses unless <see cref="NotifyFlags.Existing"/> is set, are stored silently;
/// a link that stops being ready is reported as <c>delete_interface</c> and its addresses go with it;
/// a repeated RTM_NEWADDR changes nothing.
/// <para>Two corrections of mptcpd (DESIGN.md "Links"): the view never drifts from the kernel — when
/// the event socket overflows (ENOBUFS) the monitor re-dumps links and addresses and reports the
/// difference with its known state, so that every callback sees each real change exactly once and
/// never a contradictory one, and the socket stays open; and a link that becomes tracked again has
/// its current addresses reported (the kernel resends nothing for IPv4 on link up).</para>
/// <para>Typical use: <see cref="Create"/>, <see cref="RegisterOps"/>, <see cref="Start"/>, then
/// <see cref="Dispose"/>. Events arrive on the monitor's own thread.</para>
/// </summary>
public sealed partial class NetworkMonitor : IDisposable
{
    private readonly object _lock = new();
    private readonly NetlinkSocket _events;
    private readonly NetlinkSocket _requests;
    private readonly NetlinkPoller _poller;
    private readonly ILogger _log;
    // Sorted by ifindex (ForEachInterface's order); dumps come in index order, so inserts append.
    private readonly SortedList<int, TrackedLink> _links = [];
    private Subscriber[] _subscribers = [];
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _go = new();
    private volatile bool _stopping;
    private bool _started;
    private bool _disposed;
    private bool _monitorLoopback;
    private long _resyncs;
    private long _malformed;

    private NetworkMonitor(NotifyFlags flags, NetworkMonitorOptions options)
    {
        Flags = flags;
        _log = options.Logger ?? NullLogger.Instance;
        NetworkNamespace = options.NetworkNamespace;
        // Both sockets in one visit to the namespace (each visit is a thread of its own).
        (_events, _requests) = options.NetworkNamespace is null
            ? CreateSockets(null)
            : Netlink.NetworkNamespace.Run(options.NetworkNamespace, () => CreateSockets(null));
        try
        {
            _requests.TryEnableStrictChecking();
            _events.SetReceiveBufferSize(options.ReceiveBufferSize);
            // Join the groups before the first dump so that no change can fall between the dump and
            // the first event; events older than the dump are replayed over it harmlessly.
            _events.JoinGroup(Interop.Rtnetlink.RTNLGRP_LINK);
            _events.JoinGroup(Interop.Rtnetlink.RTNLGRP_IPV4_IFADDR);
            _events.JoinGroup(Interop.Rtnetlink.RTNLGRP_IPV6_IFADDR);
            _poller = new NetlinkPoller(_events);
            // The event thread is started here and waits for Start: starting a thread costs
            // milliseconds on a busy machine, which would otherwise fall inside Start.
            _thread = new Thread(EventLoop) { IsBackground = true, Name = "tributary network monitor" };
            _thread.Start();
        }
        catch
        {
            _requests.Dispose();
            _events.Dispose();
            throw;
        }
    }

    private static (NetlinkSocket Events, NetlinkSocket Requests) CreateSockets(string? ns)
    {
        NetlinkSocket events = NetlinkSocket.Create(NetlinkProtocol.Route, ns);
        try
        {
            return (events, NetlinkSocket.Create(NetlinkProtocol.Route, ns));
        }
        catch
        {
            events.Dispose();
            throw;
        }
    }

    /// <summary>The notify flags the monitor was created with.</summary>
    public NotifyFlags Flags { get; }

    /// <summary>The namespace being monitored, or null for the process's own.</summary>
    public string? NetworkNamespace { get; }

    /// <summary>How many times the monitor re-dumped and diffed after losing events (ENOBUFS, truncated datagram).</summary>
    public long ResyncCount => Interlocked.Read(ref _resyncs);

    /// <summary>Messages skipped because they were malformed or truncated (each logged as a warning).</summary>
    public long MalformedMessageCount => Interlocked.Read(ref _malformed);

    /// <summary>Datagrams dropped because they did not come from the kernel.</summary>
    public long RejectedDatagramCount => _events.RejectedDatagrams;

    /// <summary>
    /// Raised on the monitor thread each time it has applied everything the kernel had queued (after
    /// a burst, or after each lone event): a point where a consumer can flush output or act on a batch
    /// of changes at once. Handlers must not block.
    /// </summary>
    public event Action? Idle;

    /// <summary>The event socket's receive buffer as the kernel reports it.</summary>
    public int ReceiveBufferSize => _events.ReceiveBufferSize;

    /// <summary>
    /// Opens the monitor's rtnetlink sockets and joins the link and address groups
    /// (<c>mptcpd_nm_create</c>). Nothing is read until <see cref="Start"/>.
    /// </summary>
    /// <exception cref="NetlinkException">A socket could not be opened (or the namespace entered).</exception>
    public static NetworkMonitor Create(NotifyFlags flags, NetworkMonitorOptions? options = null)
    {
        if (((int)flags & ~0xFF) != 0)
            throw new ArgumentOutOfRangeException(nameof(flags), flags, "unknown notify flags");
        return new NetworkMonitor(flags, options ?? new NetworkMonitorOptions());
    }

    /// <summary>
    /// Adds a subscriber; several may be registered and are called in registration order, each
    /// with its own user data (<c>mptcpd_nm_register_ops</c>). A subscriber registered after
    /// <see cref="Start"/> starts from the current state (see <see cref="ForEachInterface"/>).
    /// Dispose the result to unregister.
    /// </summary>
    public IDisposable RegisterOps(INetworkMonitorOps ops, object? userData = null)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var sub = new Subscriber(this, ops, userData);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscribers = [.. _subscribers, sub];
        }
        return sub;
    }

    /// <summary>
    /// Tracks the loopback interface too (<c>mptcpd_nm_monitor_loopback</c>). Applies to link
    /// messages read afterwards (the initial dump, if called before <see cref="Start"/>). Returns true.
    /// </summary>
    public bool MonitorLoopback(bool enable)
    {
        lock (_lock)
            _monitorLoopback = enable;
        return true;
    }

    /// <summary>
    /// Dumps the links, then the addresses (each read to its end), storing them silently or, for
    /// addresses with <see cref="NotifyFlags.Existing"/>, reporting them on the calling thread; then
    /// starts the monitor thread that follows the kernel's events.
    /// </summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
                throw new InvalidOperationException("the network monitor is already started");
            _started = true;
            InitialDump();
        }
        _go.Set();
    }

    /// <summary>
    /// Calls <paramref name="callback"/> for each tracked interface in ifindex order
    /// (<c>mptcpd_nm_foreach_interface</c>), with <paramref name="data"/>.
    /// </summary>
    public void ForEachInterface(Action<InterfaceInfo, object?> callback, object? data = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_lock)
        {
            foreach (TrackedLink link in _links.Values)
                callback(link.Info, data);
        }
    }

    /// <summary>
    /// The monitor's callbacks as an asynchronous stream of immutable events. The subscription is
    /// made when this method is called (so call it before <see cref="Start"/> to see the initial
    /// report) and ends when the enumeration ends or the monitor is disposed.
    /// </summary>
    public IAsyncEnumerable<NetworkMonitorEvent> ReadEventsAsync(CancellationToken cancellationToken = default)
    {
        var stream = new EventStream();
        IDisposable registration = RegisterOps(stream);
        return stream.ReadAllAsync(registration, cancellationToken);
    }

    public void Dispose()
    {
        Subscriber[] subs;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _stopping = true;
            subs = _subscribers;
            _subscribers = [];
        }
        _poller.Wake();
        _go.Set();
        if (_thread != Thread.CurrentThread)
            _thread.Join();
        _go.Dispose();
        foreach (Subscriber s in subs)
            (s.Ops as EventStream)?.Complete();
        _poller.Dispose();
        _events.Dispose();
        _requests.Dispose();
    }

    private bool IsReady(uint flags)
    {
        const uint upRunning = (uint)(InterfaceFlags.Up | InterfaceFlags.Running);
        return (flags & upRunning) == upRunning && ((flags & (uint)InterfaceFlags.Loopback) == 0 || _monitorLoopback);
    }

    /// <summary>Whether an address passes the skip flags (a.3, and the address-selection extensions).</summary>
    private bool PassesSkipFlags(in AddressKey key, byte scope, AddressFlags flags) => AddressPolicy.Passes(Flags, key, scope, flags);

    private void Notify(Action<INetworkMonitorOps, object?> call, string what)
    {
        foreach (Subscriber s in _subscribers)
        {
            if (!s.Active)
                continue;
            try
            {
                call(s.Ops, s.UserData);
            }
#pragma warning disable CA1031 // a subscriber's failure must not stop the monitor or the other subscribers
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log.LogError(ex, "network monitor {Callback} callback threw", what);
            }
        }
    }

    private void NotifyNewInterface(InterfaceInfo i) => Notify((o, u) => o.NewInterface(i, u), "new_interface");

    private void NotifyUpdateInterface(InterfaceInfo i) => Notify((o, u) => o.UpdateInterface(i, u), "update_interface");

    private void NotifyDeleteInterface(InterfaceInfo i) => Notify((o, u) => o.DeleteInterface(i, u), "delete_interface");

    private void NotifyNewAddress(InterfaceInfo i, IPAddress a, AddressFlags f) => Notify((o, u) => o.NewAddress(i, a, f, u), "new_address");

    private void NotifyDeleteAddress(InterfaceInfo i, IPAddress a, AddressFlags f) => Notify((o, u) => o.DeleteAddress(i, a, f, u), "delete_address");

    private void Unregister(Subscriber sub)
    {
        lock (_lock)
        {
            sub.Active = false;
            _subscribers = Array.FindAll(_subscribers, s => s != sub);
        }
    }

    private sealed class Subscriber(NetworkMonitor owner, INetworkMonitorOps ops, object? userData) : IDisposable
    {
        public INetworkMonitorOps Ops { get; } = ops;

        public object? UserData { get; } = userData;

        public volatile bool Active = true;

        public void Dispose() => owner.Unregister(this);
    }
}
