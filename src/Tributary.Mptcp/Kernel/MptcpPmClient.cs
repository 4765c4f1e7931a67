using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tributary.Mptcp.Interop;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// A client of the kernel's "mptcp_pm" generic netlink family: every command of the in-kernel path
/// manager (endpoints, limits, flags) and of the userspace path manager (announce, remove, subflow
/// create/destroy, priority). Unlike mptcpd, whose commands only report whether the request was sent
/// and log the kernel's answer (INVENTORY b.2), every call here waits for the kernel's acknowledgement
/// and throws <see cref="NetlinkException"/> with the errno and the extended-ack text
/// ("too many addresses or duplicate one", "invalid token") when the kernel refuses.
/// Layouts and byte orders: INVENTORY b.2 (PORT and FAMILY host order, addresses network order).
/// Thread-safe: requests are serialised on one socket.
/// </summary>
public sealed class MptcpPmClient : IDisposable
{
    private const int RequestBufferLength = 512;

    private readonly NetlinkSocket _socket;
    private readonly bool _ownsSocket;
    private readonly Lock _lock = new();
    private bool _disposed;

    private MptcpPmClient(NetlinkSocket socket, GenericNetlinkFamily family, bool ownsSocket)
    {
        _socket = socket;
        Family = family;
        _ownsSocket = ownsSocket;
    }

    /// <summary>The resolved family (id, version, groups, supported commands).</summary>
    public GenericNetlinkFamily Family { get; }

    /// <summary>The namespace the client's socket lives in (null: the process's own).</summary>
    public string? NetworkNamespace => _socket.NetworkNamespace;

    /// <summary>Opens a generic netlink socket (optionally in a named network namespace) and resolves "mptcp_pm".</summary>
    /// <exception cref="NetlinkException">ENOENT when the kernel has no mptcp_pm family (no MPTCP support).</exception>
    public static MptcpPmClient Open(string? networkNamespace = null)
    {
        NetlinkSocket socket = NetlinkSocket.Create(NetlinkProtocol.Generic, networkNamespace);
        try
        {
            GenericNetlinkFamily family = GenericNetlinkFamily.Resolve(socket, MptcpPm.MPTCP_PM_NAME);
            return new MptcpPmClient(socket, family, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the kernel has the "mptcp_pm" family, as mptcpd's family watch does (INVENTORY b.1
    /// step 2): true at once when it exists, else when the controller announces it. After
    /// <paramref name="warnAfter"/> without it, mptcpd's warnings are logged once and the wait goes on.
    /// False when <paramref name="cancellationToken"/> is cancelled first.
    /// </summary>
    public static bool WaitForFamily(string? networkNamespace, TimeSpan warnAfter, ILogger? log, CancellationToken cancellationToken) =>
        WaitForFamily(MptcpPm.MPTCP_PM_NAME, networkNamespace, warnAfter, log, cancellationToken);

    internal static bool WaitForFamily(string name, string? networkNamespace, TimeSpan warnAfter, ILogger? log, CancellationToken cancellationToken)
    {
        using NetlinkSocket socket = NetlinkSocket.Create(NetlinkProtocol.Generic, networkNamespace);
        // Join the controller's "notify" group before looking: a family registered in between is then seen.
        GenericNetlinkFamily ctrl = GenericNetlinkFamily.Resolve(socket, "nlctrl");
        if (ctrl.MulticastGroups.TryGetValue("notify", out uint notify))
            socket.JoinGroup(notify);
        long warnAt = Environment.TickCount64 + (long)warnAfter.TotalMilliseconds;
        bool warned = false;
        byte[] rx = new byte[NetlinkSocket.DefaultReceiveBufferLength];
        while (true)
        {
            if (Exists(socket, name))
                return true;
            bool announced = false;
            while (!announced)
            {
                if (cancellationToken.IsCancellationRequested)
                    return false;
                if (!warned && Environment.TickCount64 >= warnAt)
                {
                    warned = true;
                    log?.LogWarning("MPTCP generic netlink family has not appeared.");
                    log?.LogWarning("Verify MPTCP netlink path manager kernel support.");
                }
                try
                {
                    if (!socket.TryReceive(rx, out NetlinkReceiveResult r, 200))
                        continue;
                    var reader = new NetlinkMessageReader(rx.AsSpan(0, r.Length));
                    while (reader.MoveNext())
                    {
                        NetlinkMessage m = reader.Current;
                        if (m.Type == GenericNetlinkFamily.ControllerId && !GenericNetlinkFamily.IsFamilyRemoved(m)
                            && GenericNetlinkFamily.Parse(m) is { } f && f.Name == name)
                        {
                            announced = true;
                        }
                    }
                }
                catch (NetlinkOverrunException)
                {
                    announced = true; // notices were lost: look again
                }
            }
        }

        static bool Exists(NetlinkSocket socket, string name)
        {
            try
            {
                GenericNetlinkFamily.Resolve(socket, name);
                return true;
            }
            catch (NetlinkException ex) when (ex.ErrnoName == "ENOENT")
            {
                return false;
            }
        }
    }

    /// <summary>Uses an already resolved family on a socket the caller keeps ownership of.</summary>
    public static MptcpPmClient Create(NetlinkSocket socket, GenericNetlinkFamily family)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(family);
        return new MptcpPmClient(socket, family, ownsSocket: false);
    }

    // ---------------------------------------------------------------- in-kernel path manager

    /// <summary>
    /// MPTCP_PM_CMD_ADD_ADDR: adds an endpoint. A non-zero port requires <see cref="MptcpEndpointFlags.Signal"/>
    /// (the kernel only announces ports), as mptcpd forces it (INVENTORY b.2).
    /// </summary>
    public void AddEndpoint(MptcpEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var address = new MptcpAddress(endpoint.Address, endpoint.Port);
        MptcpEndpointFlags flags = endpoint.Port != 0 ? endpoint.Flags | MptcpEndpointFlags.Signal : endpoint.Flags;
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_ADD_ADDR);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, address, endpoint.Id, flags, endpoint.InterfaceIndex);
        Execute(w.Finish(), null, "add_addr");
    }

    /// <summary>MPTCP_PM_CMD_DEL_ADDR by id. Costs ~4–14 ms in the kernel (an RCU grace period; FEASIBILITY §2).</summary>
    public void RemoveEndpoint(byte id)
    {
        if (id == 0)
            throw new ArgumentOutOfRangeException(nameof(id), "endpoint ids are 1..255");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_DEL_ADDR);
        int nest = w.BeginNested(MptcpPm.MPTCP_PM_ATTR_ADDR);
        w.PutU8(MptcpPm.MPTCP_PM_ADDR_ATTR_ID, id);
        w.EndNested(nest);
        Execute(w.Finish(), null, "remove_addr");
    }

    /// <summary>MPTCP_PM_CMD_GET_ADDR of one id.</summary>
    /// <exception cref="NetlinkException">EINVAL "address not found" when no endpoint has that id.</exception>
    public MptcpEndpoint GetEndpoint(byte id)
    {
        if (id == 0)
            throw new ArgumentOutOfRangeException(nameof(id), "endpoint ids are 1..255");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_GET_ADDR);
        int nest = w.BeginNested(MptcpPm.MPTCP_PM_ATTR_ADDR);
        w.PutU8(MptcpPm.MPTCP_PM_ADDR_ATTR_ID, id);
        w.EndNested(nest);
        MptcpEndpoint? result = null;
        Execute(w.Finish(), (in NetlinkMessage m) => result ??= ParseEndpointMessage(m), "get_addr");
        return result ?? throw new NetlinkProtocolException($"get_addr: the kernel acknowledged id {id} without describing it");
    }

    /// <summary>MPTCP_PM_CMD_GET_ADDR with NLM_F_DUMP: every endpoint, in the kernel's order (by id).</summary>
    public IReadOnlyList<MptcpEndpoint> DumpEndpoints()
    {
        Span<byte> buf = stackalloc byte[64];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_GET_ADDR);
        var list = new List<MptcpEndpoint>();
        Span<byte> request = w.Finish();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _socket.Dump(request, (in NetlinkMessage m) =>
            {
                if (ParseEndpointMessage(m) is { } e)
                    list.Add(e);
            }, "dump_addrs");
        }
        return list;
    }

    /// <summary>MPTCP_PM_CMD_FLUSH_ADDRS: removes every endpoint.</summary>
    public void FlushEndpoints()
    {
        Span<byte> buf = stackalloc byte[64];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_FLUSH_ADDRS);
        Execute(w.Finish(), null, "flush_addrs");
    }

    /// <summary>MPTCP_PM_CMD_GET_LIMITS.</summary>
    public MptcpLimits GetLimits()
    {
        Span<byte> buf = stackalloc byte[64];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_GET_LIMITS);
        uint subflows = 0, accepted = 0;
        bool seen = false;
        Execute(w.Finish(), (in NetlinkMessage m) =>
        {
            foreach (NetlinkAttribute a in m.Attributes(4))
            {
                if (a.Type == MptcpPm.MPTCP_PM_ATTR_SUBFLOWS && a.TryGetU32(out uint s))
                {
                    subflows = s;
                    seen = true;
                }
                else if (a.Type == MptcpPm.MPTCP_PM_ATTR_RCV_ADD_ADDRS && a.TryGetU32(out uint r))
                {
                    accepted = r;
                    seen = true;
                }
            }
        }, "get_limits");
        return seen ? new MptcpLimits(subflows, accepted) : throw new NetlinkProtocolException("get_limits: no limits in the kernel's reply");
    }

    /// <summary>MPTCP_PM_CMD_SET_LIMITS with both limits (SUBFLOWS first, as mptcpd sends them).</summary>
    /// <exception cref="NetlinkException">EINVAL when a limit exceeds <see cref="MptcpLimits.Maximum"/>.</exception>
    public void SetLimits(MptcpLimits limits)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SET_LIMITS);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_SUBFLOWS, limits.Subflows);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_RCV_ADD_ADDRS, limits.AddAddrAccepted);
        Execute(w.Finish(), null, "set_limits");
    }

    /// <summary>
    /// MPTCP_PM_CMD_SET_FLAGS on an in-kernel endpoint, by id: the kernel changes only the backup,
    /// fullmesh (and, on 6.18, laminar) bits; <see cref="MptcpEndpointFlags.None"/> clears them.
    /// </summary>
    public void SetEndpointFlags(byte id, MptcpEndpointFlags flags)
    {
        if (id == 0)
            throw new ArgumentOutOfRangeException(nameof(id), "endpoint ids are 1..255");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SET_FLAGS);
        int nest = w.BeginNested(MptcpPm.MPTCP_PM_ATTR_ADDR);
        w.PutU8(MptcpPm.MPTCP_PM_ADDR_ATTR_ID, id);
        if (flags != MptcpEndpointFlags.None)
            w.PutU32(MptcpPm.MPTCP_PM_ADDR_ATTR_FLAGS, (uint)flags);
        w.EndNested(nest);
        Execute(w.Finish(), null, "set_flags");
    }

    /// <summary>MPTCP_PM_CMD_SET_FLAGS on an in-kernel endpoint, by address (mptcpd's <c>mptcpd_kpm_set_flags</c>).</summary>
    public void SetEndpointFlags(IPAddress address, MptcpEndpointFlags flags, ushort port = 0)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SET_FLAGS);
        MptcpEndpointFlags f = port != 0 ? flags | MptcpEndpointFlags.Signal : flags;
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, new MptcpAddress(address, port), 0, f, 0);
        Execute(w.Finish(), null, "set_flags");
    }

    // ---------------------------------------------------------------- userspace path manager (per connection token)

    /// <summary>
    /// MPTCP_PM_CMD_ANNOUNCE: sends ADD_ADDR for a local address on the connection <paramref name="token"/>.
    /// The id must be non-zero and must be the one the kernel already binds to that address on this
    /// connection, if any ("did not match address and id", SUMMARY pitfall 9). The peer can only join a
    /// port something listens on: see <see cref="MptcpListenerManager"/>.
    /// </summary>
    public void Announce(uint token, MptcpAddress local, byte id, int interfaceIndex = 0)
    {
        if (local.IsNone)
            throw new ArgumentException("an address is required", nameof(local));
        if (id == 0)
            throw new ArgumentOutOfRangeException(nameof(id), "the kernel refuses to announce address id 0");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_ANNOUNCE);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_TOKEN, token);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, local, id, MptcpEndpointFlags.Signal, interfaceIndex);
        Execute(w.Finish(), null, "announce");
    }

    /// <summary>MPTCP_PM_CMD_REMOVE: sends REMOVE_ADDR for local address id <paramref name="localId"/> on a connection.</summary>
    public void RemoveAnnouncement(uint token, byte localId)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_REMOVE);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_TOKEN, token);
        w.PutU8(MptcpPm.MPTCP_PM_ATTR_LOC_ID, localId);
        Execute(w.Finish(), null, "remove");
    }

    /// <summary>
    /// MPTCP_PM_CMD_SUBFLOW_CREATE: opens a subflow of connection <paramref name="token"/> from
    /// <paramref name="local"/> (port 0: any; <paramref name="localId"/> 0: the kernel picks one) to
    /// <paramref name="remote"/> (port required). A non-zero <paramref name="interfaceIndex"/> binds the
    /// subflow to that device, so it leaves through it whatever the routing table says; <paramref name="backup"/>
    /// marks it backup (mptcpd ignored this argument: INVENTORY b.2).
    /// </summary>
    public void CreateSubflow(uint token, MptcpAddress local, byte localId, MptcpAddress remote, byte remoteId = 0,
        int interfaceIndex = 0, bool backup = false)
    {
        if (local.IsNone)
            throw new ArgumentException("a local address is required", nameof(local));
        if (remote.IsNone || remote.Port == 0)
            throw new ArgumentException("a remote address with its port is required", nameof(remote));
        if (local.Family != remote.Family)
            throw new ArgumentException("local and remote addresses must be of the same family", nameof(remote));
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SUBFLOW_CREATE);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_TOKEN, token);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, local, localId, backup ? MptcpEndpointFlags.Backup : MptcpEndpointFlags.None, interfaceIndex);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR_REMOTE, remote, remoteId, MptcpEndpointFlags.None, 0);
        Execute(w.Finish(), null, "add_subflow");
    }

    /// <summary>MPTCP_PM_CMD_SUBFLOW_DESTROY: closes the subflow with exactly these addresses and ports.</summary>
    public void DestroySubflow(uint token, MptcpAddress local, MptcpAddress remote)
    {
        if (local.IsNone || remote.IsNone)
            throw new ArgumentException("both addresses are required");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SUBFLOW_DESTROY);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_TOKEN, token);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, local, 0, MptcpEndpointFlags.None, 0, alwaysPort: true);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR_REMOTE, remote, 0, MptcpEndpointFlags.None, 0, alwaysPort: true);
        Execute(w.Finish(), null, "remove_subflow");
    }

    /// <summary>MPTCP_PM_CMD_SET_FLAGS with a token: changes a subflow's backup priority (sends MP_PRIO).</summary>
    public void SetSubflowPriority(uint token, MptcpAddress local, MptcpAddress remote, bool backup)
    {
        if (local.IsNone || remote.IsNone)
            throw new ArgumentException("both addresses are required");
        Span<byte> buf = stackalloc byte[RequestBufferLength];
        var w = Begin(buf, MptcpPm.MPTCP_PM_CMD_SET_FLAGS);
        w.PutU32(MptcpPm.MPTCP_PM_ATTR_TOKEN, token);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR, local, 0, backup ? MptcpEndpointFlags.Backup : MptcpEndpointFlags.None, 0, alwaysPort: true);
        PutAddress(ref w, MptcpPm.MPTCP_PM_ATTR_ADDR_REMOTE, remote, 0, MptcpEndpointFlags.None, 0, alwaysPort: true);
        Execute(w.Finish(), null, "set_backup");
    }

    // ---------------------------------------------------------------- encoding and decoding

    private NetlinkMessageWriter Begin(Span<byte> buffer, byte command)
    {
        var w = new NetlinkMessageWriter(buffer);
        w.BeginMessage(Family.Id, NetlinkMessageFlags.None);
        w.WriteGenericHeader(command, MptcpPm.MPTCP_PM_VER);
        return w;
    }

    /// <summary>Writes a nested MPTCP_PM_ADDR_ATTR_* set; optional attributes are omitted when zero, as mptcpd does.</summary>
    internal static void PutAddress(ref NetlinkMessageWriter w, ushort type, in MptcpAddress address, byte id,
        MptcpEndpointFlags flags, int interfaceIndex, bool alwaysPort = false)
    {
        int nest = w.BeginNested(type);
        w.PutU16(MptcpPm.MPTCP_PM_ADDR_ATTR_FAMILY, (ushort)(address.IsIPv4 ? Libc.AF_INET : Libc.AF_INET6));
        Span<byte> bytes = stackalloc byte[16];
        int n = address.WriteBytes(bytes);
        w.PutBytes(n == 4 ? MptcpPm.MPTCP_PM_ADDR_ATTR_ADDR4 : MptcpPm.MPTCP_PM_ADDR_ATTR_ADDR6, bytes[..n]);
        if (address.Port != 0 || alwaysPort)
            w.PutU16(MptcpPm.MPTCP_PM_ADDR_ATTR_PORT, address.Port); // host order (INVENTORY b.2)
        if (id != 0)
            w.PutU8(MptcpPm.MPTCP_PM_ADDR_ATTR_ID, id);
        if (flags != MptcpEndpointFlags.None)
            w.PutU32(MptcpPm.MPTCP_PM_ADDR_ATTR_FLAGS, (uint)flags);
        if (interfaceIndex != 0)
            w.PutS32(MptcpPm.MPTCP_PM_ADDR_ATTR_IF_IDX, interfaceIndex);
        w.EndNested(nest);
    }

    /// <summary>Decodes a GET_ADDR reply (genlmsghdr + MPTCP_PM_ATTR_ADDR); null when it has no usable address.</summary>
    internal static MptcpEndpoint? ParseEndpointMessage(in NetlinkMessage m)
    {
        foreach (NetlinkAttribute a in m.Attributes(4))
        {
            if (a.Type == MptcpPm.MPTCP_PM_ATTR_ADDR)
                return ParseEndpoint(a.Payload);
        }
        return null;
    }

    /// <summary>Decodes the attributes nested in MPTCP_PM_ATTR_ADDR.</summary>
    internal static MptcpEndpoint? ParseEndpoint(ReadOnlySpan<byte> nested)
    {
        ushort family = 0, port = 0;
        byte id = 0;
        uint flags = 0;
        int ifIndex = 0;
        IPAddress? address = null;
        var reader = new NetlinkAttributeReader(nested);
        foreach (NetlinkAttribute f in reader)
        {
            switch (f.Type)
            {
                case MptcpPm.MPTCP_PM_ADDR_ATTR_FAMILY: f.TryGetU16(out family); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_ID: f.TryGetU8(out id); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_ADDR4 when f.Payload.Length == 4: address = new IPAddress(f.Payload); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_ADDR6 when f.Payload.Length == 16: address = new IPAddress(f.Payload); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_PORT: f.TryGetU16(out port); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_FLAGS: f.TryGetU32(out flags); break;
                case MptcpPm.MPTCP_PM_ADDR_ATTR_IF_IDX: f.TryGetS32(out ifIndex); break;
            }
        }
        if (reader.Malformed || address is null)
            return null;
        bool familyMatches = family == 0
            || (family == Libc.AF_INET && address.AddressFamily == AddressFamily.InterNetwork)
            || (family == Libc.AF_INET6 && address.AddressFamily == AddressFamily.InterNetworkV6);
        return familyMatches ? new MptcpEndpoint(id, address, (MptcpEndpointFlags)flags, ifIndex, port) : null;
    }

    private void Execute(Span<byte> request, NetlinkMessageHandler? onReply, string operation)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _socket.Execute(request, onReply, operation);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            if (_ownsSocket)
                _socket.Dispose();
        }
    }
}
