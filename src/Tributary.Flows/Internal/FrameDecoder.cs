using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>
/// Decodes the link, IP and TCP headers of one frame into a <see cref="PacketContext"/> without allocating.
/// Every length field is checked against the captured bytes before use (DESIGN.md "Bad input").
/// Link types: Ethernet (802.1Q, 802.1ad/QinQ, MPLS, PPPoE session), Linux SLL and SLL2, raw IP, BSD
/// null/loopback, PPP. IPv6 extension headers are walked; fragments are reported, not reassembled.
/// </summary>
internal static unsafe class FrameDecoder
{
    private const ushort EtherIPv4 = 0x0800;
    private const ushort EtherIPv6 = 0x86DD;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Be16(byte* p) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Be32(byte* p) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(p));

    /// <summary>Decodes the frame at <paramref name="frame"/> (captured bytes, link type, length on the wire) into <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(ref PacketContext p, byte* frame, int length, int linkType, int wireLength)
    {
        p.Frame = frame;
        p.FrameLength = length;
        p.LinkType = linkType;
        p.WireLength = wireLength;
        Decode(ref p);
    }

    public static void Decode(ref PacketContext p)
    {
        if (p.LinkType == LinkTypes.Ethernet && TryDecodeEthernetIPv4Tcp(ref p))
            return;
        DecodeGeneral(ref p);
    }

    /// <summary>
    /// The common case in one straight line: untagged Ethernet, IPv4 without options or fragmentation, complete
    /// TCP segment. Anything else (or any doubt) falls back to the general decoder.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDecodeEthernetIPv4Tcp(ref PacketContext p)
    {
        byte* f = p.Frame;
        if (!IsEthernetIPv4Tcp(f, p.FrameLength, out int total, out int doff))
            return false;
        p.UntaggedEthernetIPv4 = true;
        p.L3Offset = 14;
        p.IpVersion = 4;
        p.IpHeaderLength = 20;
        p.IpLength = total;
        p.Protocol = 6;
        p.SourceHigh = 0;
        p.SourceLow = Be32(f + 26);
        p.DestinationHigh = 0;
        p.DestinationLow = Be32(f + 30);
        p.L4Offset = 34;
        p.SourcePort = Be16(f + 34);
        p.DestinationPort = Be16(f + 36);
        p.Seq = Be32(f + 38);
        p.Ack = Be32(f + 42);
        p.Flags = f[47];
        p.Window = Be16(f + 48);
        p.TcpHeaderLength = doff;
        p.PayloadOffset = 34 + doff;
        p.PayloadLength = total - 20 - doff;
        p.HasTcpHeader = true;
        p.Status = DecodeStatus.Tcp;
        return true;
    }

    /// <summary>
    /// The checks of the straight-line path: untagged Ethernet, IPv4 without options or fragmentation, a complete TCP
    /// segment of <paramref name="total"/> IP bytes with a <paramref name="doff"/>-byte header.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEthernetIPv4Tcp(byte* f, int caplen, out int total, out int doff)
    {
        total = doff = 0;
        if (caplen < 54 || Unsafe.ReadUnaligned<ushort>(f + 12) != (BitConverter.IsLittleEndian ? (ushort)0x0008 : (ushort)0x0800)
            || f[14] != 0x45 || f[23] != 6 || (f[20] & 0x3F) != 0 || f[21] != 0)
            return false;
        total = Be16(f + 16);
        if (total < 40 || 14 + total > caplen)
            return false;
        doff = (f[46] >> 4) * 4;
        return doff >= 20 && 34 + doff <= 14 + total;
    }

    /// <summary>
    /// For routing a frame to its shard without decoding it: the symmetric 4-tuple hash
    /// (<see cref="PacketContext.SymmetricHash()"/>) of a frame that the straight-line path decodes as TCP; false for
    /// any other frame, which must be decoded to be routed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRouteHash(byte* frame, int length, int linkType, out uint hash)
    {
        if (linkType != LinkTypes.Ethernet || !IsEthernetIPv4Tcp(frame, length, out _, out _))
        {
            hash = 0;
            return false;
        }
        hash = PacketContext.SymmetricHash(Be32(frame + 26), Be32(frame + 30), Be16(frame + 34), Be16(frame + 36));
        return true;
    }

    private static void DecodeGeneral(ref PacketContext p)
    {
        p.Status = DecodeStatus.NotIp;
        p.UntaggedEthernetIPv4 = false;
        p.IpVersion = 0;
        p.PayloadLength = 0;
        p.Flags = 0;
        p.HasTcpHeader = false;
        byte* f = p.Frame;
        int caplen = p.FrameLength;
        int off;
        int version; // 4, 6, or 0 = look at the first nibble
        switch (p.LinkType)
        {
            case LinkTypes.Ethernet:
                if (caplen < 14)
                    return;
                if (!DecodeEthernet(f, caplen, 12, out off, out version))
                    return;
                p.UntaggedEthernetIPv4 = off == 14 && version == 4;
                break;
            case LinkTypes.LinuxSll:
                if (caplen < 16 || !EtherTypeToVersion(Be16(f + 14), out version))
                    return;
                off = 16;
                break;
            case LinkTypes.LinuxSll2:
                if (caplen < 20 || !EtherTypeToVersion(Be16(f), out version))
                    return;
                off = 20;
                break;
            case LinkTypes.Raw:
            case LinkTypes.RawBsd:
            case LinkTypes.RawOpenBsd:
                off = 0;
                version = 0;
                break;
            case LinkTypes.IPv4:
                off = 0;
                version = 4;
                break;
            case LinkTypes.IPv6:
                off = 0;
                version = 6;
                break;
            case LinkTypes.Null:
            case LinkTypes.Loop:
                {
                    if (caplen < 4)
                        return;
                    uint family = Unsafe.ReadUnaligned<uint>(f);
                    if (p.LinkType == LinkTypes.Loop || family > 0xFFFF)
                        family = BinaryPrimitives.ReverseEndianness(family);
                    if (family == 2)
                        version = 4;
                    else if (family is 10 or 24 or 28 or 30)
                        version = 6;
                    else
                        return;
                    off = 4;
                    break;
                }
            case LinkTypes.Ppp:
            case LinkTypes.PppSerial:
                {
                    off = 0;
                    if (caplen >= 2 && f[0] == 0xFF && f[1] == 0x03)
                        off = 2;
                    if (!PppProtocol(f, caplen, ref off, out version))
                        return;
                    break;
                }
            case LinkTypes.PppEther:
                off = 6;
                if (caplen < off || !PppProtocol(f, caplen, ref off, out version))
                    return;
                break;
            default:
                return;
        }
        DecodeIp(ref p, off, version);
    }

    /// <summary>Walks VLAN tags, MPLS labels and PPPoE to the IP header.</summary>
    private static bool DecodeEthernet(byte* f, int caplen, int typeOffset, out int off, out int version)
    {
        version = 0;
        off = typeOffset + 2;
        ushort type = Be16(f + typeOffset);
        for (int guard = 0; guard < 16; guard++)
        {
            switch (type)
            {
                case EtherIPv4:
                    version = 4;
                    return true;
                case EtherIPv6:
                    version = 6;
                    return true;
                case 0x8100:
                case 0x88A8:
                case 0x9100:
                    if (caplen < off + 4)
                        return false;
                    type = Be16(f + off + 2);
                    off += 4;
                    continue;
                case 0x8847:
                case 0x8848:
                    // MPLS label stack: 4 bytes each until bottom-of-stack, then the IP version nibble decides.
                    while (true)
                    {
                        if (caplen < off + 4)
                            return false;
                        bool bottom = (f[off + 2] & 0x01) != 0;
                        off += 4;
                        if (bottom)
                            break;
                    }
                    version = 0;
                    return true;
                case 0x8864:
                    // PPPoE session: 6-byte header then the 2-byte PPP protocol.
                    if (caplen < off + 8)
                        return false;
                    off += 6;
                    return PppProtocol(f, caplen, ref off, out version);
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool PppProtocol(byte* f, int caplen, ref int off, out int version)
    {
        version = 0;
        if (caplen < off + 1)
            return false;
        ushort proto;
        if ((f[off] & 1) != 0) // protocol-field compression: one byte
        {
            proto = f[off];
            off += 1;
        }
        else
        {
            if (caplen < off + 2)
                return false;
            proto = Be16(f + off);
            off += 2;
        }
        if (proto == 0x0021)
            version = 4;
        else if (proto == 0x0057)
            version = 6;
        else
            return false;
        return true;
    }

    private static bool EtherTypeToVersion(ushort type, out int version)
    {
        version = type == EtherIPv4 ? 4 : type == EtherIPv6 ? 6 : 0;
        return version != 0;
    }

    private static void DecodeIp(ref PacketContext p, int off, int version)
    {
        byte* f = p.Frame;
        int caplen = p.FrameLength;
        if (caplen < off + 1)
            return;
        int nibble = f[off] >> 4;
        if (version == 0)
            version = nibble;
        p.L3Offset = off;
        if (version == 4)
        {
            p.IpVersion = 4;
            if (caplen < off + 20 || nibble != 4)
            {
                p.Status = DecodeStatus.BadIp;
                return;
            }
            int ihl = (f[off] & 15) * 4;
            int total = Be16(f + off + 2);
            if (ihl < 20 || total < ihl)
            {
                p.Status = DecodeStatus.BadIp;
                return;
            }
            p.IpHeaderLength = ihl;
            p.IpLength = total;
            p.Protocol = f[off + 9];
            p.SourceHigh = 0;
            p.SourceLow = Be32(f + off + 12);
            p.DestinationHigh = 0;
            p.DestinationLow = Be32(f + off + 16);
            if (caplen < off + total || caplen < off + ihl)
            {
                p.Status = DecodeStatus.Truncated;
                // Header fields stay usable for header-only accounting (snaplen-truncated captures).
                DecodeTransport(ref p, off + ihl, off + total, truncated: true);
                return;
            }
            ushort frag = Be16(f + off + 6);
            if ((frag & 0x3FFF) != 0)
            {
                p.Status = DecodeStatus.Fragment;
                return;
            }
            DecodeTransport(ref p, off + ihl, off + total, truncated: false);
        }
        else if (version == 6)
        {
            p.IpVersion = 6;
            if (caplen < off + 40 || nibble != 6)
            {
                p.Status = DecodeStatus.BadIp;
                return;
            }
            int payloadLength = Be16(f + off + 4);
            p.IpLength = 40 + payloadLength;
            p.SourceHigh = Be64(f + off + 8);
            p.SourceLow = Be64(f + off + 16);
            p.DestinationHigh = Be64(f + off + 24);
            p.DestinationLow = Be64(f + off + 32);
            int end = off + 40 + payloadLength;
            bool truncated = caplen < end;
            int limit = truncated ? caplen : end;
            byte next = f[off + 6];
            int h = off + 40;
            // RFC 8200 §4: walk extension headers to the upper-layer header.
            for (int guard = 0; guard < 16; guard++)
            {
                if (next is 0 or 43 or 60 or 135 or 139 or 140)
                {
                    if (limit < h + 8)
                    {
                        p.Status = truncated ? DecodeStatus.Truncated : DecodeStatus.BadIp;
                        return;
                    }
                    next = f[h];
                    h += (f[h + 1] + 1) * 8;
                    continue;
                }
                if (next == 44)
                {
                    if (limit < h + 8)
                    {
                        p.Status = truncated ? DecodeStatus.Truncated : DecodeStatus.BadIp;
                        return;
                    }
                    ushort fragOff = Be16(f + h + 2);
                    if ((fragOff & 0xFFF9) != 0)
                    {
                        p.Protocol = f[h];
                        p.IpHeaderLength = h + 8 - off;
                        p.Status = DecodeStatus.Fragment;
                        return;
                    }
                    next = f[h]; // atomic fragment (RFC 6946): carry on
                    h += 8;
                    continue;
                }
                if (next == 51)
                {
                    if (limit < h + 8)
                    {
                        p.Status = truncated ? DecodeStatus.Truncated : DecodeStatus.BadIp;
                        return;
                    }
                    next = f[h];
                    h += (f[h + 1] + 2) * 4;
                    continue;
                }
                break;
            }
            if (h > end)
            {
                p.Status = DecodeStatus.BadIp;
                return;
            }
            p.Protocol = next;
            p.IpHeaderLength = h - off;
            if (truncated)
            {
                p.Status = DecodeStatus.Truncated;
                DecodeTransport(ref p, h, end, truncated: true);
                return;
            }
            DecodeTransport(ref p, h, end, truncated: false);
        }
        else
        {
            p.Status = DecodeStatus.BadIp;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Be64(byte* p) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(p));

    private static void DecodeTransport(ref PacketContext p, int l4, int ipEnd, bool truncated)
    {
        byte* f = p.Frame;
        p.L4Offset = l4;
        if (p.Protocol != 6)
        {
            if (!truncated)
                p.Status = DecodeStatus.OtherProtocol;
            if (p.Protocol == 17 && p.FrameLength >= l4 + 4)
            {
                p.SourcePort = Be16(f + l4);
                p.DestinationPort = Be16(f + l4 + 2);
            }
            return;
        }
        if (p.FrameLength < l4 + 20 || ipEnd < l4 + 20)
        {
            if (!truncated)
                p.Status = DecodeStatus.BadTcp;
            return;
        }
        p.SourcePort = Be16(f + l4);
        p.DestinationPort = Be16(f + l4 + 2);
        p.Seq = Be32(f + l4 + 4);
        p.Ack = Be32(f + l4 + 8);
        int doff = (f[l4 + 12] >> 4) * 4;
        p.Flags = f[l4 + 13];
        p.Window = Be16(f + l4 + 14);
        p.TcpHeaderLength = doff;
        if (doff < 20 || l4 + doff > ipEnd)
        {
            if (!truncated)
                p.Status = DecodeStatus.BadTcp;
            return;
        }
        p.PayloadOffset = l4 + doff;
        p.PayloadLength = ipEnd - (l4 + doff);
        p.HasTcpHeader = true;
        if (!truncated)
            p.Status = DecodeStatus.Tcp;
    }
}
