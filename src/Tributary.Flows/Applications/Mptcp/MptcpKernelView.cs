using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// What one host's MPTCP path manager said while a capture ran, in plain records so that the comparison with the wire
/// (<see cref="MptcpPmCheck"/>) needs neither the kernel nor Tributary.Mptcp: the connections and subflows it reported
/// (&lt;linux/mptcp_pm.h&gt; events, each method named after one), those it listed when the watch began, its in-kernel
/// endpoints with the <c>signal</c> flag, and the host's addresses. Not thread-safe: one thread feeds it, the
/// comparison runs after that thread ended.
/// </summary>
public sealed class MptcpKernelView
{
    /// <summary>Connections kept; more are counted in <see cref="DroppedRecords"/>.</summary>
    public const int MaxConnections = MptcpConnectionTracker.MaxConnections;

    private readonly List<MptcpKernelConnection> _connections = [];
    private readonly Dictionary<uint, MptcpKernelConnection> _byToken = [];
    private readonly List<MptcpKernelAddress> _signal = [];
    private readonly HashSet<IpAddress> _local = [];

    /// <summary>Connections in order of their first event or listing.</summary>
    public IReadOnlyList<MptcpKernelConnection> Connections => _connections;

    /// <summary>Local in-kernel endpoints with the <c>signal</c> flag: the kernel announces each on every connection (ADD_ADDR), without telling its own events.</summary>
    public IReadOnlyList<MptcpKernelAddress> SignalEndpoints => _signal;

    /// <summary>The host's own addresses: a wire connection none of whose ends is one of them is not this host's.</summary>
    public IReadOnlyCollection<IpAddress> LocalAddresses => _local;

    /// <summary>Path-manager events received (of any type).</summary>
    public long Events { get; private set; }

    /// <summary>LISTENER_CREATED and LISTENER_CLOSED events (counted, not compared: listening sends nothing).</summary>
    public long ListenerEvents { get; private set; }

    /// <summary>Times the event socket overflowed (ENOBUFS): an unknown number of events were lost, and the comparison may report what they would have said.</summary>
    public long EventsLost { get; set; }

    /// <summary>Connections, subflows and address records not kept beyond the caps.</summary>
    public long DroppedRecords { get; internal set; }

    /// <summary>A connection sock_diag listed before the watch began (its handshake predates the capture).</summary>
    public void ConnectionExisting(uint token, MptcpSocketAddress local, MptcpSocketAddress remote)
    {
        MptcpKernelConnection? c = Connection(token, fresh: true);
        if (c is null)
            return;
        c.ExistedAtStart = true;
        c.Local = local;
        c.Remote = remote;
    }

    /// <summary>A subflow sock_diag listed before the watch began.</summary>
    public void SubflowExisting(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, byte localId, byte remoteId, bool backup, bool initial)
    {
        MptcpKernelSubflow? s = Connection(token, fresh: false)?.Subflow(local, remote, initial, this);
        if (s is null)
            return;
        s.ExistedAtStart = s.Established = true;
        (s.LocalId, s.RemoteId, s.Backup) = (localId, remoteId, backup);
    }

    /// <summary>MPTCP_EVENT_CREATED: the local and remote ends of the initial subflow.</summary>
    public void ConnectionCreated(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, bool serverSide)
    {
        Events++;
        // A token is unique among live connections only: after CLOSED it may name a new one.
        MptcpKernelConnection? c = Connection(token, fresh: true);
        if (c is null)
            return;
        c.Created = true;
        Initial(c, local, remote, serverSide);
    }

    /// <summary>MPTCP_EVENT_ESTABLISHED.</summary>
    public void ConnectionEstablished(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, bool serverSide)
    {
        Events++;
        MptcpKernelConnection? c = Connection(token, fresh: false);
        if (c is null)
            return;
        c.Established = true;
        Initial(c, local, remote, serverSide);
    }

    /// <summary>MPTCP_EVENT_CLOSED.</summary>
    public void ConnectionClosed(uint token)
    {
        Events++;
        if (Connection(token, fresh: false) is { } c)
            c.Closed = true;
    }

    /// <summary>MPTCP_EVENT_ANNOUNCED: the peer announced <paramref name="address"/> with id <paramref name="remoteId"/>.</summary>
    public void AddressAnnounced(uint token, byte remoteId, IpAddress address, ushort port)
    {
        Events++;
        Connection(token, fresh: false)?.Announce(new MptcpKernelAddress(remoteId, address, port), this);
    }

    /// <summary>MPTCP_EVENT_REMOVED: the peer removed address id <paramref name="remoteId"/>.</summary>
    public void AddressRemoved(uint token, byte remoteId)
    {
        Events++;
        Connection(token, fresh: false)?.Remove(remoteId, this);
    }

    /// <summary>MPTCP_EVENT_SUB_ESTABLISHED.</summary>
    public void SubflowEstablished(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, byte localId, byte remoteId, bool backup)
    {
        Events++;
        if (Subflow(token, local, remote, localId, remoteId, backup) is { } s)
            s.Established = true;
    }

    /// <summary>MPTCP_EVENT_SUB_CLOSED (also for a subflow that never got established).</summary>
    public void SubflowClosed(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, byte localId, byte remoteId, bool backup, byte? error)
    {
        Events++;
        if (Subflow(token, local, remote, localId, remoteId, backup) is { } s)
        {
            s.Closed = true;
            s.Error = error;
        }
    }

    /// <summary>MPTCP_EVENT_SUB_PRIORITY: the peer sent MP_PRIO on this subflow.</summary>
    public void SubflowPriority(uint token, MptcpSocketAddress local, MptcpSocketAddress remote, byte localId, byte remoteId, bool backup)
    {
        Events++;
        if (Subflow(token, local, remote, localId, remoteId, backup) is { } s)
            s.PriorityEvents++;
    }

    /// <summary>MPTCP_EVENT_LISTENER_CREATED or LISTENER_CLOSED.</summary>
    public void ListenerEvent()
    {
        Events++;
        ListenerEvents++;
    }

    /// <summary>An event of a type this view does not compare, or one missing attributes its type requires.</summary>
    public void OtherEvent() => Events++;

    /// <summary>An in-kernel endpoint with the <c>signal</c> flag.</summary>
    public void AddSignalEndpoint(byte id, IpAddress address, ushort port)
    {
        var a = new MptcpKernelAddress(id, address, port);
        if (!_signal.Contains(a))
            _signal.Add(a);
    }

    public void AddLocalAddress(IpAddress address) => _local.Add(address);

    private void Initial(MptcpKernelConnection c, in MptcpSocketAddress local, in MptcpSocketAddress remote, bool serverSide)
    {
        c.ServerSide = serverSide;
        c.Local = local;
        c.Remote = remote;
        if (c.Subflow(local, remote, initial: true, this) is { } s)
            s.Established = true;
    }

    private MptcpKernelSubflow? Subflow(uint token, in MptcpSocketAddress local, in MptcpSocketAddress remote, byte localId, byte remoteId, bool backup)
    {
        MptcpKernelConnection? c = Connection(token, fresh: false);
        // The initial subflow gets an event of its own only for a priority change or its close; it keeps its place.
        bool initial = c?.Local == local && c.Remote == remote;
        MptcpKernelSubflow? s = c?.Subflow(local, remote, initial, this);
        if (s is not null)
            (s.LocalId, s.RemoteId, s.Backup) = (localId, remoteId, backup);
        return s;
    }

    /// <summary>
    /// The connection with <paramref name="token"/>; a new one when there is none, or with <paramref name="fresh"/> when
    /// the one there closed or was created already (the token was reused). Events for a token never created nor listed
    /// make a connection too: one whose start the watch missed.
    /// </summary>
    private MptcpKernelConnection? Connection(uint token, bool fresh)
    {
        if (_byToken.TryGetValue(token, out MptcpKernelConnection? c) && !(fresh && (c.Closed || c.Created)))
            return c;
        if (_connections.Count >= MaxConnections)
        {
            DroppedRecords++;
            return null;
        }
        c = new MptcpKernelConnection(_connections.Count, token);
        _connections.Add(c);
        _byToken[token] = c;
        return c;
    }
}
