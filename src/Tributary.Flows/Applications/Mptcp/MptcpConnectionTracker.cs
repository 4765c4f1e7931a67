using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Summary;
using CaptureTcpFlags = Tributary.Capture.Decoding.TcpFlags;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// <c>tributary flows mptcp</c>: groups TCP flows (numbered as tshark's <c>tcp.stream</c>, <see cref="TcpStreamIndex"/>)
/// into MPTCP connections from the MPTCP options on the wire. An MP_CAPABLE SYN opens a connection; its SYN/ACK with
/// MP_CAPABLE makes it MPTCP and gives the server's key, without it the connection fell back (RFC 8684 §3.1, §3.7);
/// the third ACK (or first data) gives both keys. An MP_JOIN SYN carries the token of its receiver (§3.2) and joins
/// the connection with that token, from either end. Connection-level signals (ADD_ADDR, REMOVE_ADDR, MP_PRIO,
/// DATA_FIN, MP_FASTCLOSE, MP_FAIL, MP_TCPRST) and payload bytes are added up over the subflows.
/// Bad packets never throw: unparsable MPTCP options are counted; the maps are capped.
/// </summary>
public sealed class MptcpConnectionTracker
{
    /// <summary>Connections (rows) kept; more are counted in <see cref="DroppedConnections"/>.</summary>
    public const int MaxConnections = 1 << 16;

    /// <summary>Subflows kept over all connections; more are counted in <see cref="DroppedSubflows"/>.</summary>
    public const int MaxSubflows = 1 << 18;

    /// <summary>Live: a plain TCP flow (not a subflow) is forgotten after this long without packets.</summary>
    public static readonly TimeSpan LiveIdleLimit = TimeSpan.FromMinutes(10);

    /// <summary>Live: plain TCP flows tracked at most; beyond, the least recently seen is forgotten.</summary>
    public const int LiveMaxPlainFlows = 1 << 18;

    private readonly TcpStreamIndex _streams;

    /// <summary>The <c>tcp.stream</c> numbering (tests start it near the end of the int range).</summary>
    internal TcpStreamIndex Streams => _streams;
    private readonly IpFragmentReassembler _reassembler = new();
    private readonly List<MptcpConnection> _connections = [];
    private readonly Dictionary<long, MptcpSubflow> _subflows = [];
    private readonly Dictionary<uint, MptcpConnection> _byToken = [];
    private readonly Dictionary<uint, MptcpConnection> _orphans = [];

    /// <summary>A capture file: every TCP flow stays numbered as tshark numbers it (<see cref="TcpStreamIndex"/>).</summary>
    public MptcpConnectionTracker()
        : this(live: false)
    {
    }

    /// <param name="live">
    /// A live capture, which has no end: plain TCP flows are forgotten after <see cref="LiveIdleLimit"/> without
    /// packets or beyond <see cref="LiveMaxPlainFlows"/> (least recently seen first), so that the numbering of a
    /// busy link does not grow forever; a forgotten 4-tuple's next packet is numbered as a new flow. Subflows of a
    /// connection are kept. False: as a capture file.
    /// </param>
    public MptcpConnectionTracker(bool live)
    {
        _streams = live ? new TcpStreamIndex(LiveIdleLimit, LiveMaxPlainFlows, _subflows.ContainsKey) : new TcpStreamIndex();
    }

    /// <summary>TCP 4-tuples the <c>tcp.stream</c> numbering remembers now.</summary>
    public int TrackedTcpFlows => _streams.Tracked;

    /// <summary>Plain TCP flows forgotten (live only).</summary>
    public long ForgottenTcpFlows => _streams.Forgotten;

    /// <summary>Connections in order of their first packet.</summary>
    public IReadOnlyList<MptcpConnection> Connections => _connections;

    public long Packets { get; private set; }
    public long TcpSegments { get; private set; }

    /// <summary>MPTCP options that do not parse, and option areas cut short on MPTCP subflows.</summary>
    public long MalformedOptions { get; private set; }

    /// <summary>New connections not kept beyond <see cref="MaxConnections"/>.</summary>
    public long DroppedConnections { get; private set; }

    /// <summary>Joins not kept beyond <see cref="MptcpConnection.MaxSubflows"/> or <see cref="MaxSubflows"/>.</summary>
    public long DroppedSubflows { get; private set; }

    /// <summary>Segments with MPTCP options on flows no connection claims (a subflow whose handshake was not captured).</summary>
    public long UnattributedSegments { get; private set; }

    /// <summary>Adds one captured frame (any link type <see cref="PacketDecoder"/> knows; IP fragments are reassembled as tshark does).</summary>
    public void Add(ReadOnlySpan<byte> frame, LinkType linkType, int originalLength, long timestampNanoseconds)
    {
        Packets++;
        // tshark reassembles IP fragments before TCP: a segment counts once, on its last fragment.
        if (_reassembler.TryDecode(frame, linkType, originalLength, timestampNanoseconds, out DecodedPacket d, out _))
            AddSegment(d, timestampNanoseconds);
    }

    private void AddSegment(in DecodedPacket d, long timestamp)
    {
        if (!d.IsTcp)
            return;
        TcpSegments++;
        long stream = _streams.Assign(d, timestamp, out bool isNew);
        MptcpSubflow? subflow = isNew ? null : _subflows.GetValueOrDefault(stream);
        CaptureTcpFlags flags = d.TcpFlags;
        bool syn = (flags & CaptureTcpFlags.Syn) != 0, ack = (flags & CaptureTcpFlags.Ack) != 0;

        // Pass 1: the handshake options, which may open the subflow this segment belongs to.
        bool any = false, capable = false;
        var reader = new TcpOptionReader(d.TcpOptions);
        while (reader.MoveNext())
        {
            TcpOption raw = reader.Current;
            if (raw.Kind != TcpOptionKind.Mptcp)
                continue;
            any = true;
            if (!raw.TryGetMptcp(out MptcpOption o))
                continue; // counted in pass 2, or below when no subflow takes the segment
            if (o.Subtype == MptcpSubtype.Capable)
            {
                capable = true;
                subflow = OnCapable(d, stream, subflow, o, syn, ack, timestamp);
            }
            else if (o.Subtype == MptcpSubtype.Join)
            {
                subflow = OnJoin(d, stream, subflow, o, syn, ack, timestamp);
            }
        }
        if (syn && ack && !capable && subflow is { IsInitial: true, Established: false, Refused: false } initial
            && !initial.IsFromOpener(d.Source, d.SourcePort) && initial.Connection.Kind == MptcpConnectionKind.Attempt)
        {
            // A SYN/ACK without MP_CAPABLE answers an MP_CAPABLE SYN: plain TCP from here on (RFC 8684 §3.1).
            initial.Refused = true;
            initial.Connection.Kind = MptcpConnectionKind.Fallback;
            initial.Connection.FellBack(MptcpFallback.Handshake, timestamp);
        }
        if (subflow is null)
        {
            if (any)
            {
                UnattributedSegments++;
                CountMalformed(d.TcpOptions, null);
            }
            return;
        }

        // Pass 2: the segment counts for its subflow and connection, with the connection-level signals it carries.
        MptcpConnection c = subflow.Connection;
        MptcpPeer from = subflow.PeerOf(d.Source, d.SourcePort);
        bool fromOpener = subflow.IsFromOpener(d.Source, d.SourcePort);
        subflow.Count(from, d.PayloadLength, (flags & CaptureTcpFlags.Fin) != 0, (flags & CaptureTcpFlags.Rst) != 0);
        c.Count(from, d.PayloadLength);
        c.LastTimestampNanoseconds = Math.Max(c.LastTimestampNanoseconds, timestamp);
        if (!any)
        {
            if (reader.IsMalformed)
                Malformed(c);
            CheckFirstData(c, subflow, from, d.PayloadLength, mapped: false, timestamp);
            return;
        }
        bool mapped = false;
        var options = new TcpOptionReader(d.TcpOptions);
        while (options.MoveNext())
        {
            TcpOption raw = options.Current;
            if (raw.Kind != TcpOptionKind.Mptcp)
                continue;
            if (!raw.TryGetMptcp(out MptcpOption o))
            {
                Malformed(c);
                continue;
            }
            switch (o.Subtype)
            {
                case MptcpSubtype.Dss:
                    if (o.DataFin)
                        c.SawDataFin(from);
                    if (o.HasMapping)
                    {
                        mapped = true;
                        // §3.7: a mapping of data-level length 0 is infinite: the sender falls back to plain TCP.
                        if (o.DataLevelLength == 0 && c.Kind == MptcpConnectionKind.Mptcp)
                            c.FellBack(MptcpFallback.InfiniteMapping, timestamp);
                    }
                    break;
                case MptcpSubtype.Capable when o.DataLevelLength > 0:
                    mapped = true; // version 1: the first data may carry MP_CAPABLE with its mapping (RFC 8684 §3.1)
                    break;
                case MptcpSubtype.AddAddress:
                    c.SawAddAddress(from, o.AddressId, o.Address, o.Port, o.Echo);
                    break;
                case MptcpSubtype.RemoveAddress:
                    foreach (byte id in o.AddressIds)
                        c.SawRemoveAddress(from, id);
                    break;
                case MptcpSubtype.Priority:
                    // §3.3.8: the sender asks its peer to change the priority of the subflow the option is sent on.
                    c.SawPriority(from);
                    subflow.SawPriority(from);
                    if (fromOpener)
                        subflow.OpenerBackup = o.Backup;
                    else
                        subflow.ResponderBackup = o.Backup;
                    break;
                case MptcpSubtype.Fail:
                    c.SawFail(from);
                    break;
                case MptcpSubtype.FastClose:
                    c.SawFastClose(from);
                    break;
                case MptcpSubtype.TcpReset:
                    c.SawTcpReset(from);
                    subflow.ResetReason = o.ResetReason;
                    break;
            }
        }
        if (options.IsMalformed)
            Malformed(c);
        CheckFirstData(c, subflow, from, d.PayloadLength, mapped, timestamp);
    }

    /// <summary>
    /// RFC 8684 §3.7: once the MP_CAPABLE handshake is done, each end's first data on the initial subflow must be
    /// mapped (DSS, or MP_CAPABLE with data); without a mapping the connection falls back to plain TCP. Later
    /// unmapped segments prove nothing: one mapping may cover several segments. A join without mapping is reset, not
    /// fallen back.
    /// </summary>
    private static void CheckFirstData(MptcpConnection c, MptcpSubflow subflow, MptcpPeer from, int payload, bool mapped, long timestamp)
    {
        if (payload == 0 || !subflow.IsInitial || !subflow.Established || c.Kind != MptcpConnectionKind.Mptcp || !subflow.FirstData(from))
            return;
        if (!mapped)
            c.FellBack(MptcpFallback.MissingMapping, timestamp);
    }

    private MptcpSubflow? OnCapable(in DecodedPacket d, long stream, MptcpSubflow? subflow, in MptcpOption o, bool syn, bool ack, long timestamp)
    {
        if (syn && !ack)
        {
            if (subflow is null)
            {
                // The MP_CAPABLE SYN: the client proposes MPTCP; version 0 also sends its key here (RFC 6824 §3.1).
                MptcpConnection? c = NewConnection(MptcpConnectionKind.Attempt, o.Version, timestamp);
                if (c is null)
                    return null;
                subflow = NewInitialSubflow(c, stream, d.Source, d.SourcePort, d.Destination, d.DestinationPort);
            }
            if (subflow.IsInitial && subflow.IsFromOpener(d.Source, d.SourcePort) && o.HasSenderKey)
                SetKey(subflow.Connection, MptcpPeer.Client, o.SenderKey);
            return subflow;
        }
        if (syn)
        {
            if (subflow is null)
            {
                // The SYN was not captured: the SYN/ACK alone shows that both ends agreed; its receiver is the client.
                MptcpConnection? c = NewConnection(MptcpConnectionKind.Attempt, o.Version, timestamp);
                if (c is null)
                    return null;
                subflow = NewInitialSubflow(c, stream, d.Destination, d.DestinationPort, d.Source, d.SourcePort);
            }
            MptcpConnection conn = subflow.Connection;
            if (subflow.IsInitial && !subflow.IsFromOpener(d.Source, d.SourcePort) && conn.Kind == MptcpConnectionKind.Attempt)
            {
                subflow.Established = true;
                conn.Kind = MptcpConnectionKind.Mptcp;
                conn.SetVersion(o.Version);
                if (o.HasSenderKey)
                    conn.SetKey(MptcpPeer.Server, o.SenderKey);
                RegisterTokens(conn);
            }
            return subflow;
        }
        if (!o.HasReceiverKey)
            return subflow;
        // Third ACK or first data (§3.1): the sender is the client and carries both keys.
        if (subflow is null)
        {
            MptcpConnection? c = NewConnection(MptcpConnectionKind.Mptcp, o.Version, timestamp);
            if (c is null)
                return null;
            subflow = NewInitialSubflow(c, stream, d.Source, d.SourcePort, d.Destination, d.DestinationPort);
            subflow.Established = true;
        }
        MptcpConnection connection = subflow.Connection;
        if (!subflow.IsInitial || !subflow.IsFromOpener(d.Source, d.SourcePort) || connection.Kind == MptcpConnectionKind.Fallback)
            return subflow;
        if (connection.Kind == MptcpConnectionKind.Attempt)
        {
            // The SYN/ACK was missed, but a third ACK with both keys is only sent after one with MP_CAPABLE.
            connection.Kind = MptcpConnectionKind.Mptcp;
            connection.SetVersion(o.Version);
            subflow.Established = true;
        }
        connection.SetKey(MptcpPeer.Client, o.SenderKey);
        connection.SetKey(MptcpPeer.Server, o.ReceiverKey);
        RegisterTokens(connection);
        return subflow;
    }

    private MptcpSubflow? OnJoin(in DecodedPacket d, long stream, MptcpSubflow? subflow, in MptcpOption o, bool syn, bool ack, long timestamp)
    {
        if (o.JoinStage == 1 && syn && !ack)
        {
            if (subflow is not null)
                return subflow; // a retransmitted SYN
            // §3.2: the token names the receiver of the SYN; the other end opened the subflow.
            MptcpConnection? c;
            MptcpPeer openedBy;
            if (_byToken.TryGetValue(o.Token, out MptcpConnection? known))
            {
                c = known;
                openedBy = known.ServerToken == o.Token ? MptcpPeer.Client : MptcpPeer.Server;
            }
            else
            {
                if (!_orphans.TryGetValue(o.Token, out c))
                {
                    c = NewConnection(MptcpConnectionKind.Orphan, null, timestamp);
                    if (c is null)
                        return null;
                    c.SetOrphanToken(o.Token);
                    _orphans[o.Token] = c;
                }
                openedBy = MptcpPeer.Client;
            }
            if (!c.CanAddSubflow || _subflows.Count >= MaxSubflows)
            {
                DroppedSubflows++;
                return null;
            }
            subflow = new MptcpSubflow(c, stream, initial: false, openedBy, d.Source, d.SourcePort, d.Destination, d.DestinationPort)
            {
                OpenerAddressId = o.AddressId,
                OpenerBackup = o.Backup,
            };
            c.AddSubflow(subflow);
            _subflows[stream] = subflow;
            return subflow;
        }
        if (o.JoinStage == 2 && syn && ack && subflow is { IsInitial: false } joined && !joined.IsFromOpener(d.Source, d.SourcePort))
        {
            joined.Established = true;
            joined.ResponderAddressId = o.AddressId;
            joined.ResponderBackup = o.Backup;
        }
        return subflow;
    }

    private MptcpConnection? NewConnection(MptcpConnectionKind kind, int? version, long timestamp)
    {
        if (_connections.Count >= MaxConnections || _subflows.Count >= MaxSubflows)
        {
            DroppedConnections++;
            return null;
        }
        var c = new MptcpConnection(_connections.Count, kind, version, timestamp);
        _connections.Add(c);
        return c;
    }

    private MptcpSubflow NewInitialSubflow(MptcpConnection c, long stream, IpAddress client, ushort clientPort, IpAddress server, ushort serverPort)
    {
        var s = new MptcpSubflow(c, stream, initial: true, MptcpPeer.Client, client, clientPort, server, serverPort);
        c.AddSubflow(s);
        _subflows[stream] = s;
        return s;
    }

    private void SetKey(MptcpConnection c, MptcpPeer owner, ulong key)
    {
        if (c.SetKey(owner, key) && c.Kind == MptcpConnectionKind.Mptcp)
            RegisterTokens(c);
    }

    /// <summary>
    /// A later connection with the same token wins: the kernel keeps tokens unique among live connections only. Joins
    /// to a token captured before the exchange that gave it (the capture started between them, or packets of several
    /// paths arrived out of order) are an orphan group until then, and merge into the connection now.
    /// </summary>
    private void RegisterTokens(MptcpConnection c)
    {
        if (c.ClientToken is uint ct)
        {
            _byToken[ct] = c;
            MergeOrphans(c, ct);
        }
        if (c.ServerToken is uint st)
        {
            _byToken[st] = c;
            MergeOrphans(c, st);
        }
    }

    /// <summary>The orphan group with <paramref name="token"/> joins <paramref name="c"/>, which takes the row of whichever came first.</summary>
    private void MergeOrphans(MptcpConnection c, uint token)
    {
        if (!_orphans.Remove(token, out MptcpConnection? orphan))
            return;
        // The group's opener sent joins carrying the token of the other end: the client's token names the server as opener.
        foreach (MptcpSubflow dropped in c.Absorb(orphan, swapRoles: token == c.ClientToken && token != c.ServerToken))
        {
            _subflows.Remove(dropped.Stream);
            DroppedSubflows++;
        }
        int first = Math.Min(c.Index, orphan.Index);
        _connections.RemoveAt(orphan.Index);
        _connections.RemoveAt(c.Index < orphan.Index ? c.Index : c.Index - 1);
        _connections.Insert(first, c);
        for (int i = first; i < _connections.Count; i++)
            _connections[i].Index = i;
    }

    private void Malformed(MptcpConnection? c)
    {
        MalformedOptions++;
        if (c is not null)
            c.MalformedOptions++;
    }

    private void CountMalformed(ReadOnlySpan<byte> area, MptcpConnection? c)
    {
        var options = new TcpOptionReader(area);
        while (options.MoveNext())
        {
            TcpOption raw = options.Current;
            if (raw.Kind == TcpOptionKind.Mptcp && !raw.TryGetMptcp(out _))
                Malformed(c);
        }
        if (options.IsMalformed)
            Malformed(c);
    }
}
