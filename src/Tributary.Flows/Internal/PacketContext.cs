using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>How far the decoder got with a frame.</summary>
internal enum DecodeStatus : byte
{
    /// <summary>No IPv4/IPv6 packet (ARP, unknown link protocol, frame too short for its link header).</summary>
    NotIp,
    /// <summary>IP header broken: bad version, header length, total length smaller than the header.</summary>
    BadIp,
    /// <summary>The IP total length reaches beyond the captured bytes (DEVIATIONS B34: no events, forwarded, malformed).</summary>
    Truncated,
    /// <summary>A fragment (no transport header of its own, or an incomplete one).</summary>
    Fragment,
    /// <summary>An IP packet of another protocol than TCP (UDP, ICMP …).</summary>
    OtherProtocol,
    /// <summary>TCP whose data offset is below 5 or reaches beyond the IP payload.</summary>
    BadTcp,
    /// <summary>A complete TCP segment.</summary>
    Tcp,
}

/// <summary>
/// The packet being processed: the frame (a pointer valid for the duration of the packet) and the offsets and
/// fields the engine needs, decoded once. Lives in the context and is reused for every frame (no allocation).
/// </summary>
internal unsafe struct PacketContext
{
    public byte* Frame;
    public int FrameLength;
    public int WireLength;
    public int LinkType;
    public long TimestampUs;

    public DecodeStatus Status;
    /// <summary>Untagged Ethernet carrying EtherType 0x0800: the only frames mOS processes (B16).</summary>
    public bool UntaggedEthernetIPv4;
    public int L3Offset;
    public byte IpVersion;
    public int IpHeaderLength;
    /// <summary>IPv4 total length, or 40 + payload length for IPv6.</summary>
    public int IpLength;
    public byte Protocol;
    public ulong SourceHigh;
    public ulong SourceLow;
    public ulong DestinationHigh;
    public ulong DestinationLow;

    public readonly UInt128 Source => new(SourceHigh, SourceLow);
    public readonly UInt128 Destination => new(DestinationHigh, DestinationLow);

    public int L4Offset;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint Seq;
    public uint Ack;
    public byte Flags;
    public ushort Window;
    public int TcpHeaderLength;
    public int PayloadOffset;
    public int PayloadLength;
    /// <summary>The TCP header was read (also for a truncated frame, for header-only accounting).</summary>
    public bool HasTcpHeader;

    public readonly ReadOnlySpan<byte> FrameSpan => new(Frame, FrameLength);
    public readonly ReadOnlySpan<byte> Payload => new(Frame + PayloadOffset, PayloadLength);
    public readonly ReadOnlySpan<byte> IpPacket => new(Frame + L3Offset, Math.Min(IpLength, FrameLength - L3Offset));

    public readonly bool Syn => (Flags & TcpFlags.Syn) != 0;
    public readonly bool AckFlag => (Flags & TcpFlags.Ack) != 0;
    public readonly bool Fin => (Flags & TcpFlags.Fin) != 0;
    public readonly bool Rst => (Flags & TcpFlags.Rst) != 0;

    /// <summary>
    /// Direction-independent hash of the 4-tuple (mOS's symmetric RSS idea): both directions of a connection map to
    /// the same shard.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint SymmetricHash() => SymmetricHash(SourceLow ^ SourceHigh, DestinationLow ^ DestinationHigh, SourcePort, DestinationPort);

    /// <summary><see cref="SymmetricHash()"/> of addresses folded to 64 bits (low ^ high) and ports.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SymmetricHash(ulong s, ulong d, ushort sourcePort, ushort destinationPort)
    {
        ulong x = (s ^ d) * 0x9E3779B97F4A7C15UL ^ ((ulong)(sourcePort ^ destinationPort) * 0xC2B2AE3D27D4EB4FUL) ^ (s + d);
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 29;
        return (uint)x;
    }

    public readonly FlowKey Key => new()
    {
        SourceHigh = SourceHigh, SourceLow = SourceLow, DestinationHigh = DestinationHigh, DestinationLow = DestinationLow,
        SourcePort = SourcePort,
        DestinationPort = DestinationPort, Version = IpVersion,
    };
}

/// <summary>TCP header flag bits (RFC 9293 §3.1).</summary>
internal static class TcpFlags
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;
}

/// <summary>libpcap link-layer header types (LINKTYPE_* / DLT_* values, tcpdump.org/linktypes.html).</summary>
internal static class LinkTypes
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int Ppp = 9;
    public const int RawBsd = 12;
    public const int RawOpenBsd = 14;
    public const int PppSerial = 50;
    public const int PppEther = 51;
    public const int Raw = 101;
    public const int Loop = 108;
    public const int LinuxSll = 113;
    public const int IPv4 = 228;
    public const int IPv6 = 229;
    public const int LinuxSll2 = 276;
}
