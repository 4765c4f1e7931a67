using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One MPTCP connection seen on the wire (or one that tried MPTCP and fell back, or joins to an unknown token): the
/// keys and tokens of both ends (RFC 8684 §3.1), its subflows, the addresses the ends advertised and removed
/// (§3.4), and the connection-level signals each end sent, with payload totals over all subflows.
/// Client = the end that sent the MP_CAPABLE SYN (for an <see cref="MptcpConnectionKind.Orphan"/> group, the end that
/// opened its joins).
/// </summary>
public sealed class MptcpConnection
{
    /// <summary>Subflows kept per connection; more joins are counted in <see cref="MptcpConnectionTracker.DroppedSubflows"/> (the kernel allows 8).</summary>
    public const int MaxSubflows = 256;

    /// <summary>Distinct ADD_ADDR options and REMOVE_ADDR ids kept per connection, each; more are counted in <see cref="DroppedAddressRecords"/>.</summary>
    public const int MaxAddressRecords = 64;

    private readonly List<MptcpSubflow> _subflows = [];
    private readonly List<MptcpAddressAdvertisement> _added = [];
    private readonly List<(MptcpPeer Sender, byte Id)> _removed = [];
    private readonly long[] _packets = new long[2];
    private readonly long[] _bytes = new long[2];
    private readonly bool[] _dataFin = new bool[2];
    private readonly int[] _fastClose = new int[2];
    private readonly int[] _fail = new int[2];
    private readonly int[] _tcpReset = new int[2];
    private readonly int[] _priority = new int[2];

    internal MptcpConnection(int index, MptcpConnectionKind kind, int? version, long firstTimestamp)
    {
        Index = index;
        Kind = kind;
        Version = version;
        FirstTimestampNanoseconds = LastTimestampNanoseconds = firstTimestamp;
    }

    /// <summary>Position in order of first packet (0-based).</summary>
    public int Index { get; internal set; }

    public MptcpConnectionKind Kind { get; internal set; }

    /// <summary>MP_CAPABLE version: 0 (RFC 6824) or 1 (RFC 8684), as in the SYN/ACK; null for an orphan group.</summary>
    public int? Version { get; internal set; }

    public ulong? ClientKey { get; private set; }
    public ulong? ServerKey { get; private set; }

    /// <summary>The token the server puts in MP_JOIN SYNs to the client; null while the client's key is unknown.</summary>
    public uint? ClientToken { get; private set; }

    /// <summary>The token the client puts in MP_JOIN SYNs to the server (for an orphan group: the token its joins carry).</summary>
    public uint? ServerToken { get; private set; }

    public ulong? ClientIdsn { get; private set; }
    public ulong? ServerIdsn { get; private set; }

    public long FirstTimestampNanoseconds { get; private set; }
    public long LastTimestampNanoseconds { get; internal set; }

    /// <summary>Subflows in order of their first packet; the initial one first when it was captured.</summary>
    public IReadOnlyList<MptcpSubflow> Subflows => _subflows;

    /// <summary>Distinct ADD_ADDR options in order of first appearance.</summary>
    public IReadOnlyList<MptcpAddressAdvertisement> AddedAddresses => _added;

    /// <summary>Distinct (sender, address id) pairs of REMOVE_ADDR options in order of first appearance.</summary>
    public IReadOnlyList<(MptcpPeer Sender, byte Id)> RemovedAddresses => _removed;

    /// <summary>ADD_ADDR options and REMOVE_ADDR ids not kept beyond <see cref="MaxAddressRecords"/>.</summary>
    public long DroppedAddressRecords { get; private set; }

    /// <summary>How the connection fell back to plain TCP, if it did (the first sign the wire gave).</summary>
    public MptcpFallback Fallback { get; private set; }

    /// <summary>Capture time of the segment that showed <see cref="Fallback"/>; 0 for none or <see cref="MptcpFallback.Handshake"/>.</summary>
    public long FallbackTimestampNanoseconds { get; private set; }

    /// <summary>MPTCP options of this connection's segments that do not parse (wrong length for their subtype) or option areas cut short.</summary>
    public long MalformedOptions { get; internal set; }

    /// <summary>TCP segments sent by <paramref name="from"/> over all subflows.</summary>
    public long Packets(MptcpPeer from) => _packets[(int)from];

    /// <summary>TCP payload bytes sent by <paramref name="from"/> over all subflows (tshark's <c>tcp.len</c> summed; retransmissions count again).</summary>
    public long Bytes(MptcpPeer from) => _bytes[(int)from];

    /// <summary>A DSS with the F flag (DATA_FIN, §3.3.3) from <paramref name="from"/>: it closed its data stream.</summary>
    public bool DataFin(MptcpPeer from) => _dataFin[(int)from];

    /// <summary>MP_FASTCLOSE options sent by <paramref name="from"/> (§3.5: abrupt close of the whole connection).</summary>
    public int FastClose(MptcpPeer from) => _fastClose[(int)from];

    /// <summary>MP_FAIL options sent by <paramref name="from"/> (§3.7: checksum failure, fallback).</summary>
    public int Fail(MptcpPeer from) => _fail[(int)from];

    /// <summary>MP_TCPRST options sent by <paramref name="from"/> (§3.6: why a subflow was reset).</summary>
    public int TcpReset(MptcpPeer from) => _tcpReset[(int)from];

    /// <summary>MP_PRIO options sent by <paramref name="from"/> (§3.3.8: backup priority change).</summary>
    public int Priority(MptcpPeer from) => _priority[(int)from];

    /// <summary>The initial subflow, when it was captured.</summary>
    public MptcpSubflow? InitialSubflow => _subflows.Count > 0 && _subflows[0].IsInitial ? _subflows[0] : null;

    internal bool CanAddSubflow => _subflows.Count < MaxSubflows;

    /// <summary>
    /// Takes over the subflows, counts and signals of an orphan group whose token turned out to be one of this
    /// connection's (its joins were captured before the MP_CAPABLE exchange, as tshark merges them into one
    /// <c>mptcp.stream</c>). The group's "client" opened its joins; it is this connection's server when the joins carry
    /// the client's token (<paramref name="swapRoles"/>). Returns the subflows beyond <see cref="MaxSubflows"/>, not kept.
    /// </summary>
    internal List<MptcpSubflow> Absorb(MptcpConnection orphan, bool swapRoles)
    {
        MptcpPeer Map(MptcpPeer p) => swapRoles ? MptcpSubflow.Other(p) : p;
        var dropped = new List<MptcpSubflow>();
        foreach (MptcpSubflow s in orphan._subflows)
        {
            if (!CanAddSubflow)
            {
                dropped.Add(s);
                continue;
            }
            s.MoveTo(this, swapRoles);
            _subflows.Add(s);
        }
        // The initial subflow first, then the others in order of first packet (tcp.stream numbers are that order).
        _subflows.Sort((a, b) => a.IsInitial != b.IsInitial ? (a.IsInitial ? -1 : 1) : a.Stream.CompareTo(b.Stream));
        foreach (MptcpPeer p in new[] { MptcpPeer.Client, MptcpPeer.Server })
        {
            int q = (int)Map(p), o = (int)p;
            _packets[q] += orphan._packets[o];
            _bytes[q] += orphan._bytes[o];
            _dataFin[q] |= orphan._dataFin[o];
            _fastClose[q] += orphan._fastClose[o];
            _fail[q] += orphan._fail[o];
            _tcpReset[q] += orphan._tcpReset[o];
            _priority[q] += orphan._priority[o];
        }
        foreach (MptcpAddressAdvertisement a in orphan._added)
        {
            for (int i = 0; i < a.Count; i++)
                SawAddAddress(Map(a.Sender), a.AddressId, a.Address, a.Port, a.Echo);
        }
        foreach ((MptcpPeer sender, byte id) in orphan._removed)
            SawRemoveAddress(Map(sender), id);
        MalformedOptions += orphan.MalformedOptions;
        DroppedAddressRecords += orphan.DroppedAddressRecords;
        FirstTimestampNanoseconds = Math.Min(FirstTimestampNanoseconds, orphan.FirstTimestampNanoseconds);
        LastTimestampNanoseconds = Math.Max(LastTimestampNanoseconds, orphan.LastTimestampNanoseconds);
        return dropped;
    }

    internal void AddSubflow(MptcpSubflow subflow) => _subflows.Add(subflow);

    /// <summary>Sets a key once (a retransmitted or repeated MP_CAPABLE carries the same one); false when it was known.</summary>
    internal bool SetKey(MptcpPeer owner, ulong key)
    {
        if ((owner == MptcpPeer.Client ? ClientKey : ServerKey) is not null)
            return false;
        if (owner == MptcpPeer.Client)
            ClientKey = key;
        else
            ServerKey = key;
        Derive();
        return true;
    }

    /// <summary>The version the SYN/ACK chose (it may differ from the SYN's, RFC 8684 §3.1): the tokens follow it.</summary>
    internal void SetVersion(int version)
    {
        Version = version;
        Derive();
    }

    private void Derive()
    {
        bool known = Version is int v && MptcpKeys.IsKnownVersion(v);
        ClientToken = known && ClientKey is ulong ck ? MptcpKeys.Token(ck, Version!.Value) : null;
        ClientIdsn = known && ClientKey is ulong ck2 ? MptcpKeys.Idsn(ck2, Version!.Value) : null;
        ServerToken = known && ServerKey is ulong sk ? MptcpKeys.Token(sk, Version!.Value) : null;
        ServerIdsn = known && ServerKey is ulong sk2 ? MptcpKeys.Idsn(sk2, Version!.Value) : null;
    }

    /// <summary>An orphan group knows only the token its joins carry.</summary>
    internal void SetOrphanToken(uint token) => ServerToken = token;

    internal void Count(MptcpPeer from, int payload)
    {
        _packets[(int)from]++;
        _bytes[(int)from] += payload;
    }

    /// <summary>Records the first fallback only: later segments of a fallen-back connection say nothing new.</summary>
    internal void FellBack(MptcpFallback how, long timestamp)
    {
        if (Fallback != MptcpFallback.None)
            return;
        Fallback = how;
        FallbackTimestampNanoseconds = how == MptcpFallback.Handshake ? 0 : timestamp;
    }

    internal void SawDataFin(MptcpPeer from) => _dataFin[(int)from] = true;

    internal void SawFastClose(MptcpPeer from) => _fastClose[(int)from]++;

    internal void SawFail(MptcpPeer from) => _fail[(int)from]++;

    internal void SawTcpReset(MptcpPeer from) => _tcpReset[(int)from]++;

    internal void SawPriority(MptcpPeer from) => _priority[(int)from]++;

    internal void SawAddAddress(MptcpPeer from, byte id, IpAddress address, ushort port, bool echo)
    {
        foreach (MptcpAddressAdvertisement a in _added)
        {
            if (a.Matches(from, id, address, port, echo))
            {
                a.Count++;
                return;
            }
        }
        if (_added.Count >= MaxAddressRecords)
        {
            DroppedAddressRecords++;
            return;
        }
        _added.Add(new MptcpAddressAdvertisement(from, id, address, port, echo));
    }

    internal void SawRemoveAddress(MptcpPeer from, byte id)
    {
        if (_removed.Contains((from, id)))
            return;
        if (_removed.Count >= MaxAddressRecords)
        {
            DroppedAddressRecords++;
            return;
        }
        _removed.Add((from, id));
    }
}
