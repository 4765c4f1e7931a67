using System.Net.Sockets;
using Tributary.Mptcp.Interop;

namespace Tributary.Mptcp;

/// <summary>A subflow as the path manager identifies it: both endpoints with their ports.</summary>
internal readonly record struct SubflowKey(MptcpAddress Local, MptcpAddress Remote);

/// <summary>What the path manager has reported to plugins about one connection.</summary>
internal sealed record KnownConnection(uint Token, MptcpAddress Local, MptcpAddress Remote, bool Established, IReadOnlyCollection<SubflowKey> Subflows);

/// <summary>One subflow of a <see cref="KernelConnection"/>.</summary>
internal readonly record struct KernelSubflow(MptcpAddress Local, MptcpAddress Remote, byte LocalId, byte RemoteId, bool Backup,
    int InterfaceIndex, bool Initial)
{
    public SubflowKey Key => new(Local, Remote);
}

/// <summary>
/// A connection as the kernel has announced it to path managers: CREATED was sent and CLOSED was not.
/// <paramref name="SubflowsTracked"/>: the kernel reports subflow changes of this connection (it sends
/// SUB_ESTABLISHED and SUB_CLOSED only while the connection is ESTABLISHED).
/// </summary>
internal sealed record KernelConnection(uint Token, MptcpAddress Local, MptcpAddress Remote, bool ServerSide, bool Established,
    bool SubflowsTracked, IReadOnlyList<KernelSubflow> Subflows);

/// <summary>
/// Re-learning connections after lost MPTCP events (the event socket overflowed, ENOBUFS): turns a
/// sock_diag dump into the connections the kernel has announced, and diffs them against what the
/// path manager has reported, giving exactly the events that were missed, as synthetic events that
/// go through the normal dispatch.
/// </summary>
internal static class ConnectionResync
{
    /// <summary>
    /// The connections the kernel has announced, from a dump of MPTCP sockets and TCP subflows:
    /// a token, the peer's key received (CREATED is sent then) and not closed by the application
    /// (CLOSED is sent at close, although the socket lingers in a closing state). A connection is
    /// established (ESTABLISHED sent) when a subflow finished the MPTCP handshake; without any
    /// subflow left in the dump, when the peer's key arrived. The server side is the one that did not
    /// ask for MP_CAPABLE (without the initial subflow: a listener holds the local port). Subflows
    /// count while their TCP connection is up (ESTABLISHED or CLOSE_WAIT), the initial one included.
    /// </summary>
    public static List<KernelConnection> FromDiag(IEnumerable<MptcpConnectionInfo> sockets, IEnumerable<MptcpSubflowInfo> subflows)
    {
        var byToken = new Dictionary<uint, List<MptcpSubflowInfo>>();
        foreach (MptcpSubflowInfo s in subflows)
        {
            if (s.Token == 0)
                continue;
            if (!byToken.TryGetValue(s.Token, out var list))
                byToken[s.Token] = list = [];
            list.Add(s);
        }
        var listeners = new List<MptcpConnectionInfo>();
        var candidates = new List<MptcpConnectionInfo>();
        foreach (MptcpConnectionInfo c in sockets)
        {
            if (c.IsListener)
                listeners.Add(c);
            else if (c.Token != 0 && c.RemoteKeyReceived && !c.IsClosedByApplication)
                candidates.Add(c);
        }
        var result = new List<KernelConnection>();
        var seen = new HashSet<uint>();
        foreach (MptcpConnectionInfo c in candidates)
        {
            if (!seen.Add(c.Token))
                continue; // the same socket in the AF_INET and AF_INET6 dumps
            List<MptcpSubflowInfo> all = byToken.GetValueOrDefault(c.Token) ?? [];
            var live = new List<KernelSubflow>();
            bool anyEstablished = false;
            MptcpSubflowInfo? initial = null;
            foreach (MptcpSubflowInfo s in all)
            {
                if (s.State is not (InetDiag.TCP_ESTABLISHED or InetDiag.TCP_CLOSE_WAIT))
                    continue;
                anyEstablished |= (s.Flags & MptcpSubflowFlags.FullyEstablished) != 0;
                if (s.IsInitial)
                    initial = s;
                live.Add(new KernelSubflow(s.Local, s.Remote, s.LocalId, s.RemoteId, s.Backup, s.InterfaceIndex, s.IsInitial));
            }
            bool established = live.Count > 0 ? anyEstablished : c.RemoteKeyReceived;
            bool serverSide = initial is { } i
                ? (i.Flags & MptcpSubflowFlags.MpCapableLocal) == 0
                : listeners.Any(l => l.Local.Port == c.Local.Port && (l.Local.IsUnboundAddress || l.Local.SameAddress(c.Local)));
            result.Add(new KernelConnection(c.Token, c.Local, c.Remote, serverSide, established,
                c.State == InetDiag.TCP_ESTABLISHED, live));
        }
        return result;
    }

    /// <summary>
    /// The events that take plugins from <paramref name="known"/> to <paramref name="kernel"/>, in this
    /// order: CLOSED for connections that vanished (or whose token now names another connection),
    /// then for connections both sides know, by token: SUB_CLOSED for subflows gone, ESTABLISHED if
    /// it was missed, SUB_ESTABLISHED for new subflows; then for new connections, by token: CREATED,
    /// ESTABLISHED when established, SUB_ESTABLISHED for each joined subflow (the initial subflow
    /// comes with CREATED, and when it is already gone, SUB_CLOSED for it). A connection nothing
    /// changed for gets nothing. Subflow changes are only derived where the kernel reports them.
    /// </summary>
    public static List<MptcpEventAttributes> Plan(IReadOnlyCollection<KnownConnection> known, IReadOnlyCollection<KernelConnection> kernel)
    {
        var events = new List<MptcpEventAttributes>();
        var now = new Dictionary<uint, KernelConnection>();
        foreach (KernelConnection k in kernel)
            now[k.Token] = k;
        var kept = new List<(KnownConnection Known, KernelConnection Kernel)>();
        var knownTokens = new HashSet<uint>();
        foreach (KnownConnection c in known.OrderBy(c => c.Token))
        {
            if (now.TryGetValue(c.Token, out KernelConnection? k) && k.Local == c.Local && k.Remote == c.Remote)
            {
                kept.Add((c, k));
                knownTokens.Add(c.Token);
            }
            else
            {
                events.Add(Closed(c.Token));
            }
        }
        foreach ((KnownConnection c, KernelConnection k) in kept)
        {
            var present = new HashSet<SubflowKey>(k.Subflows.Select(s => s.Key));
            if (k.SubflowsTracked)
            {
                foreach (SubflowKey s in c.Subflows.OrderBy(s => s.Local.Port).ThenBy(s => s.Remote.Port))
                {
                    if (!present.Contains(s))
                        events.Add(Subflow(MptcpEventType.SubflowClosed, k.Token, new KernelSubflow(s.Local, s.Remote, 0, 0, false, 0, false)));
                }
            }
            if (k.Established && !c.Established)
                events.Add(Connection(MptcpEventType.Established, k));
            if (k.SubflowsTracked)
            {
                var knownSubflows = new HashSet<SubflowKey>(c.Subflows);
                foreach (KernelSubflow s in k.Subflows)
                {
                    if (!knownSubflows.Contains(s.Key))
                        events.Add(Subflow(MptcpEventType.SubflowEstablished, k.Token, s));
                }
            }
        }
        foreach (KernelConnection k in now.Values.OrderBy(k => k.Token))
        {
            if (knownTokens.Contains(k.Token))
                continue;
            events.Add(Connection(MptcpEventType.Created, k));
            if (k.Established)
                events.Add(Connection(MptcpEventType.Established, k));
            if (!k.SubflowsTracked)
                continue;
            var initial = new SubflowKey(k.Local, k.Remote);
            bool initialPresent = false;
            foreach (KernelSubflow s in k.Subflows)
            {
                if (s.Key == initial)
                    initialPresent = true;
                else
                    events.Add(Subflow(MptcpEventType.SubflowEstablished, k.Token, s));
            }
            if (!initialPresent)
                events.Add(Subflow(MptcpEventType.SubflowClosed, k.Token, new KernelSubflow(k.Local, k.Remote, 0, 0, false, 0, true)));
        }
        return events;
    }

    private static MptcpEventAttributes Closed(uint token) => new()
    {
        Type = MptcpEventType.Closed,
        Present = MptcpEventAttribute.Token,
        Token = token,
    };

    private static MptcpEventAttributes Connection(MptcpEventType type, KernelConnection k) => new()
    {
        Type = type,
        Present = MptcpEventAttribute.Token | MptcpEventAttribute.Family | AddressBits(k.Local) | MptcpEventAttribute.Flags,
        Token = k.Token,
        Family = Family(k.Local),
        Local = k.Local,
        Remote = k.Remote,
        Flags = k.ServerSide ? MptcpEventFlags.ServerSide : MptcpEventFlags.None,
    };

    private static MptcpEventAttributes Subflow(MptcpEventType type, uint token, in KernelSubflow s) => new()
    {
        Type = type,
        Present = MptcpEventAttribute.Token | MptcpEventAttribute.Family | AddressBits(s.Local) | MptcpEventAttribute.LocalId
            | MptcpEventAttribute.RemoteId | MptcpEventAttribute.Backup | (s.InterfaceIndex > 0 ? MptcpEventAttribute.InterfaceIndex : 0),
        Token = token,
        Family = Family(s.Local),
        Local = s.Local,
        Remote = s.Remote,
        LocalId = s.LocalId,
        RemoteId = s.RemoteId,
        Backup = s.Backup,
        InterfaceIndex = s.InterfaceIndex,
    };

    private static ushort Family(in MptcpAddress a) => (ushort)(a.Family == AddressFamily.InterNetwork ? Libc.AF_INET : Libc.AF_INET6);

    private static MptcpEventAttribute AddressBits(in MptcpAddress local) =>
        (local.IsIPv4
            ? MptcpEventAttribute.SourceAddress4 | MptcpEventAttribute.DestinationAddress4
            : MptcpEventAttribute.SourceAddress6 | MptcpEventAttribute.DestinationAddress6)
        | MptcpEventAttribute.SourcePort | MptcpEventAttribute.DestinationPort;
}
