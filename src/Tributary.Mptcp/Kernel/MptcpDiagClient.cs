using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tributary.Mptcp.Interop;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// Lists the kernel's MPTCP connections and their TCP subflows over NETLINK_SOCK_DIAG, as <c>ss -M</c>
/// and <c>ss -ti</c> do: the state to start from when events were lost (the path manager re-learns its
/// connections from it after the event socket overflows). MPTCP sockets need the kernel's mptcp_diag
/// support; subflows come from the TCP dump's ULP information, which the kernel gives to
/// CAP_NET_ADMIN only. Thread-safe: dumps are serialised on one socket.
/// </summary>
public sealed class MptcpDiagClient : IDisposable
{
    // All states except TCP_LISTEN (10), TIME_WAIT (6) and NEW_SYN_RECV (12): neither carries MPTCP state.
    private const uint ConnectionStates = 0xFFF & ~((1u << InetDiag.TCP_LISTEN) | (1u << 6));
    private const uint AllStates = 0xFFF & ~(1u << 12);

    private readonly NetlinkSocket _socket;
    private readonly Lock _lock = new();
    private bool _disposed;

    private MptcpDiagClient(NetlinkSocket socket) => _socket = socket;

    /// <summary>The namespace the client's socket lives in (null: the process's own).</summary>
    public string? NetworkNamespace => _socket.NetworkNamespace;

    /// <summary>Opens a NETLINK_SOCK_DIAG socket, in a named network namespace when one is given.</summary>
    public static MptcpDiagClient Open(string? networkNamespace = null) =>
        new(NetlinkSocket.Create(NetlinkProtocol.SockDiag, networkNamespace));

    /// <summary>
    /// Every MPTCP socket of both address families with its <c>mptcp_info</c>; listeners only with
    /// <paramref name="includeListeners"/>.
    /// </summary>
    /// <exception cref="NetlinkException">ENOENT when the kernel lacks mptcp_diag.</exception>
    public IReadOnlyList<MptcpConnectionInfo> DumpConnections(bool includeListeners = false)
    {
        var list = new List<MptcpConnectionInfo>();
        uint states = includeListeners ? AllStates : ConnectionStates;
        foreach (byte family in new[] { Libc.AF_INET, Libc.AF_INET6 })
        {
            Dump(family, Interop.Mptcp.IPPROTO_MPTCP, 1 << (InetDiag.INET_DIAG_INFO - 1), states, (in NetlinkMessage m) =>
            {
                if (ParseConnection(m) is { } c)
                    list.Add(c);
            }, "dump MPTCP sockets");
        }
        return list;
    }

    /// <summary>Every TCP socket of both address families that is an MPTCP subflow (listeners and TIME_WAIT excluded).</summary>
    public IReadOnlyList<MptcpSubflowInfo> DumpSubflows()
    {
        var list = new List<MptcpSubflowInfo>();
        foreach (byte family in new[] { Libc.AF_INET, Libc.AF_INET6 })
        {
            // The kernel adds the ULP information only to dumps that ask for INET_DIAG_INFO (tcp_info).
            Dump(family, InetDiag.IPPROTO_TCP, 1 << (InetDiag.INET_DIAG_INFO - 1), ConnectionStates, (in NetlinkMessage m) =>
            {
                if (ParseSubflow(m) is { } s)
                    list.Add(s);
            }, "dump TCP subflows");
        }
        return list;
    }

    private void Dump(byte family, int protocol, byte extensions, uint states, NetlinkMessageHandler handler, string operation)
    {
        Span<byte> buf = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(InetDiag.SOCK_DIAG_BY_FAMILY, NetlinkMessageFlags.None);
        w.WriteHeader(new inet_diag_req_v2
        {
            sdiag_family = family,
            sdiag_protocol = (byte)protocol, // IPPROTO_MPTCP does not fit: INET_DIAG_REQ_PROTOCOL below
            idiag_ext = extensions,
            idiag_states = states,
        });
        if (protocol > byte.MaxValue)
            w.PutU32(InetDiag.INET_DIAG_REQ_PROTOCOL, (uint)protocol);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _socket.Dump(w.Finish(), handler, operation);
        }
    }

    /// <summary>Decodes one MPTCP socket of a SOCK_DIAG_BY_FAMILY reply; null when it is malformed.</summary>
    internal static MptcpConnectionInfo? ParseConnection(in NetlinkMessage m)
    {
        if (!TryParseHeader(m.Payload, out inet_diag_msg msg, out MptcpAddress local, out MptcpAddress remote))
            return null;
        MptcpInfo? info = null;
        byte shutdown = 0;
        NetlinkAttributeReader reader = m.Attributes(Marshal.SizeOf<inet_diag_msg>());
        while (reader.MoveNext())
        {
            NetlinkAttribute a = reader.Current;
            if (a.Type == InetDiag.INET_DIAG_INFO)
                info = MptcpInfo.Parse(a.Payload);
            else if (a.Type == InetDiag.INET_DIAG_SHUTDOWN)
                a.TryGetU8(out shutdown);
        }
        if (reader.Malformed)
            return null;
        return new MptcpConnectionInfo(info?.Token ?? 0, local, remote, msg.idiag_state, msg.idiag_inode, shutdown, info);
    }

    /// <summary>Decodes one TCP socket of a reply; null when it is malformed or not an MPTCP subflow.</summary>
    internal static MptcpSubflowInfo? ParseSubflow(in NetlinkMessage m)
    {
        if (!TryParseHeader(m.Payload, out inet_diag_msg msg, out MptcpAddress local, out MptcpAddress remote))
            return null;
        NetlinkAttributeReader reader = m.Attributes(Marshal.SizeOf<inet_diag_msg>());
        while (reader.MoveNext())
        {
            NetlinkAttribute a = reader.Current;
            if (a.Type != InetDiag.INET_DIAG_ULP_INFO)
                continue;
            foreach (NetlinkAttribute ulp in a.Nested)
            {
                if (ulp.Type != InetDiag.INET_ULP_INFO_MPTCP)
                    continue;
                uint token = 0, flags = 0;
                byte localId = 0, remoteId = 0;
                bool hasToken = false;
                foreach (NetlinkAttribute s in ulp.Nested)
                {
                    switch (s.Type)
                    {
                        case MptcpPm.MPTCP_SUBFLOW_ATTR_TOKEN_LOC: hasToken = s.TryGetU32(out token); break;
                        case MptcpPm.MPTCP_SUBFLOW_ATTR_FLAGS: s.TryGetU32(out flags); break;
                        case MptcpPm.MPTCP_SUBFLOW_ATTR_ID_LOC: s.TryGetU8(out localId); break;
                        case MptcpPm.MPTCP_SUBFLOW_ATTR_ID_REM: s.TryGetU8(out remoteId); break;
                    }
                }
                if (!hasToken)
                    return null;
                return new MptcpSubflowInfo(token, local, remote, msg.idiag_state, localId, remoteId, (MptcpSubflowFlags)flags,
                    (int)msg.id.idiag_if);
            }
        }
        return null;
    }

    private static unsafe bool TryParseHeader(ReadOnlySpan<byte> payload, out inet_diag_msg msg, out MptcpAddress local, out MptcpAddress remote)
    {
        local = remote = default;
        if (payload.Length < sizeof(inet_diag_msg))
        {
            msg = default;
            return false;
        }
        msg = MemoryMarshal.Read<inet_diag_msg>(payload);
        int length = msg.idiag_family switch
        {
            Libc.AF_INET => 4,
            Libc.AF_INET6 => 16,
            _ => 0,
        };
        if (length == 0)
            return false;
        // inet_diag_sockid: sport at 4, dport at 6, src at 8, dst at 24 (offsets in inet_diag_msg).
        local = MptcpAddress.FromBytes(payload.Slice(8, length), BinaryPrimitives.ReadUInt16BigEndian(payload[4..]));
        remote = MptcpAddress.FromBytes(payload.Slice(24, length), BinaryPrimitives.ReadUInt16BigEndian(payload[6..]));
        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _socket.Dispose();
        }
    }
}
