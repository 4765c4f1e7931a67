namespace Tributary.Flows;

/// <summary>
/// The packet being processed (mOS <c>mtcp_getlastpkt</c>), valid only inside the callback that obtained it.
/// Header fields in host order. <see cref="HasTcpHeader"/> is false for non-TCP packets and, in MosCompat, for
/// the IP-layer raw PacketIn of a TCP packet (DEVIATIONS B15).
/// </summary>
public readonly ref struct PacketView
{
    public ReadOnlySpan<byte> Frame { get; init; }
    public ReadOnlySpan<byte> IpPacket { get; init; }
    public ReadOnlySpan<byte> Payload { get; init; }
    public long TimestampMicroseconds { get; init; }
    public int IpVersion { get; init; }
    public UInt128 Source { get; init; }
    public UInt128 Destination { get; init; }
    public byte Protocol { get; init; }
    /// <summary>IPv4 total length, or 40 + payload length for IPv6.</summary>
    public int IpLength { get; init; }
    public bool HasTcpHeader { get; init; }
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public uint Sequence { get; init; }
    public uint Acknowledgment { get; init; }
    /// <summary>TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).</summary>
    public byte TcpFlags { get; init; }
    public ushort Window { get; init; }
    public int PayloadLength { get; init; }
    /// <summary>Offset of the payload's first byte in the receiving side's stream (B10); 0 for SYNs, orphans, raw packets; -1 unbuffered.</summary>
    public long Offset { get; init; }
}
