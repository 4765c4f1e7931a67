using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One TCP flow of an MPTCP connection: the initial subflow (MP_CAPABLE, RFC 8684 §3.1) or a joined one (MP_JOIN,
/// §3.2), named by its <c>tcp.stream</c> index, with the end that opened it and the address ids and backup flags
/// each end gave.
/// </summary>
public sealed class MptcpSubflow
{
    private readonly long[] _packets = new long[2];
    private readonly long[] _bytes = new long[2];
    private readonly bool[] _fin = new bool[2];
    private readonly bool[] _rst = new bool[2];
    private readonly int[] _priority = new int[2];
    private readonly bool[] _data = new bool[2];

    internal MptcpSubflow(MptcpConnection connection, long stream, bool initial, MptcpPeer openedBy,
        IpAddress openerAddress, ushort openerPort, IpAddress responderAddress, ushort responderPort)
    {
        Connection = connection;
        Stream = stream;
        IsInitial = initial;
        OpenedBy = openedBy;
        OpenerAddress = openerAddress;
        OpenerPort = openerPort;
        ResponderAddress = responderAddress;
        ResponderPort = responderPort;
        if (initial)
            OpenerAddressId = ResponderAddressId = 0; // the initial subflow's addresses have id 0 (RFC 8684 §3.4.1)
    }

    public MptcpConnection Connection { get; private set; }

    /// <summary>tshark's <c>tcp.stream</c> index.</summary>
    public long Stream { get; }

    /// <summary>True for the MP_CAPABLE subflow.</summary>
    public bool IsInitial { get; }

    /// <summary>The end that sent the subflow's SYN (for a join, the end whose peer owns the token in it).</summary>
    public MptcpPeer OpenedBy { get; private set; }

    public IpAddress OpenerAddress { get; }
    public ushort OpenerPort { get; }
    public IpAddress ResponderAddress { get; }
    public ushort ResponderPort { get; }

    /// <summary>MP_JOIN SYN: the opener's address id; null until seen.</summary>
    public byte? OpenerAddressId { get; internal set; }

    /// <summary>MP_JOIN SYN/ACK: the responder's address id; null until seen.</summary>
    public byte? ResponderAddressId { get; internal set; }

    /// <summary>The opener asks the responder to use the subflow as backup only (MP_JOIN SYN B flag, later MP_PRIO, §3.3.8).</summary>
    public bool OpenerBackup { get; internal set; }

    /// <summary>The responder's backup request (MP_JOIN SYN/ACK B flag, later MP_PRIO).</summary>
    public bool ResponderBackup { get; internal set; }

    /// <summary>The responder answered the SYN with the same MPTCP option (MP_CAPABLE or MP_JOIN).</summary>
    public bool Established { get; internal set; }

    /// <summary>The responder answered the SYN with a SYN/ACK without the option (fallback, or a refused join).</summary>
    public bool Refused { get; internal set; }

    /// <summary>MP_TCPRST reason code (§3.6) of the last one seen on this subflow; null when none.</summary>
    public byte? ResetReason { get; internal set; }

    public long Packets(MptcpPeer from) => _packets[(int)from];

    /// <summary>TCP payload bytes sent by <paramref name="from"/> (tshark's <c>tcp.len</c>; retransmissions count again).</summary>
    public long Bytes(MptcpPeer from) => _bytes[(int)from];

    /// <summary>True when <paramref name="from"/> sent a TCP FIN on this subflow.</summary>
    public bool Fin(MptcpPeer from) => _fin[(int)from];

    /// <summary>True when <paramref name="from"/> sent a TCP RST on this subflow.</summary>
    public bool Rst(MptcpPeer from) => _rst[(int)from];

    /// <summary>MP_PRIO options <paramref name="from"/> sent on this subflow (RFC 8684 §3.3.8: each changes the priority of the subflow it is sent on).</summary>
    public int Priority(MptcpPeer from) => _priority[(int)from];

    /// <summary>Which end of the connection sent a segment from this address and port.</summary>
    internal MptcpPeer PeerOf(IpAddress source, ushort port) =>
        source == OpenerAddress && port == OpenerPort ? OpenedBy : Other(OpenedBy);

    internal bool IsFromOpener(IpAddress source, ushort port) => source == OpenerAddress && port == OpenerPort;

    internal void Count(MptcpPeer from, int payload, bool fin, bool rst)
    {
        _packets[(int)from]++;
        _bytes[(int)from] += payload;
        _fin[(int)from] |= fin;
        _rst[(int)from] |= rst;
    }

    internal void SawPriority(MptcpPeer from) => _priority[(int)from]++;

    /// <summary>True the first time <paramref name="from"/> sends payload on this subflow.</summary>
    internal bool FirstData(MptcpPeer from)
    {
        if (_data[(int)from])
            return false;
        _data[(int)from] = true;
        return true;
    }

    /// <summary>Moves an orphan group's join to the connection its token names; with <paramref name="swapRoles"/> its opener is that connection's server.</summary>
    internal void MoveTo(MptcpConnection connection, bool swapRoles)
    {
        Connection = connection;
        if (!swapRoles)
            return;
        OpenedBy = Other(OpenedBy);
        (_packets[0], _packets[1]) = (_packets[1], _packets[0]);
        (_bytes[0], _bytes[1]) = (_bytes[1], _bytes[0]);
        (_fin[0], _fin[1]) = (_fin[1], _fin[0]);
        (_rst[0], _rst[1]) = (_rst[1], _rst[0]);
        (_priority[0], _priority[1]) = (_priority[1], _priority[0]);
        (_data[0], _data[1]) = (_data[1], _data[0]);
    }

    internal static MptcpPeer Other(MptcpPeer p) => p == MptcpPeer.Client ? MptcpPeer.Server : MptcpPeer.Client;
}
