using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tributary.Capture.Decoding;

/// <summary>
/// Decodes link, IP and transport headers into a <see cref="DecodedPacket"/>: no allocation, no
/// exception for any input. Every length field is checked against the captured bytes and the
/// original length before it is used; a packet that contradicts itself gets <see cref="DecodeStatus.Malformed"/>.
/// </summary>
public static class PacketDecoder
{
    private const int EthernetHeaderLength = 14;
    private const int VlanTagLength = 4;
    private const int MaxVlanTags = 8;
    private const int MplsLabelLength = 4;
    private const int MaxMplsLabels = 16;
    private const int MplsControlWordLength = 4;
    private const int PppoeHeaderLength = 6;
    private const int SllHeaderLength = 16;
    private const int Sll2HeaderLength = 20;
    private const int LoopbackHeaderLength = 4;
    private const int IPv4MinimumHeaderLength = 20;
    private const int IPv6HeaderLength = 40;
    private const int MaxIPv6ExtensionHeaders = 16;
    private const int TcpMinimumHeaderLength = 20;
    private const int UdpHeaderLength = 8;
    private const int IcmpHeaderLength = 4;

    /// <summary>Decodes a packet from a source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(in Packet packet, out DecodedPacket decoded) =>
        Decode(packet.Data, packet.LinkType, packet.OriginalLength, out decoded);

    /// <summary>
    /// Decodes a frame of <paramref name="linkType"/>. <paramref name="originalLength"/> (the wire
    /// length; use the frame length when unknown) tells a snapshot-length cut from a lying header.
    /// </summary>
    public static DecodeStatus Decode(ReadOnlySpan<byte> frame, LinkType linkType, int originalLength, out DecodedPacket decoded)
    {
        decoded = default;
        decoded._frame = frame;
        decoded._linkType = linkType;
        decoded._originalLength = Math.Max(originalLength, frame.Length);
        return decoded._status = DecodeLink(ref decoded);
    }

    /// <summary>
    /// Decodes a bare IP datagram (IPv4 or IPv6 by its version nibble), e.g. one rebuilt by
    /// <see cref="IpFragmentReassembler"/>; offsets are relative to <paramref name="datagram"/>.
    /// </summary>
    public static DecodeStatus DecodeIp(ReadOnlySpan<byte> datagram, out DecodedPacket decoded) =>
        Decode(datagram, LinkType.Raw, datagram.Length, out decoded);

    private static DecodeStatus DecodeLink(ref DecodedPacket d)
    {
        ReadOnlySpan<byte> f = d._frame;
        int off;
        ushort type;
        switch (d._linkType)
        {
            case LinkType.Ethernet:
                if (f.Length < EthernetHeaderLength)
                    return Short(ref d, EthernetHeaderLength);
                type = Be16(f, 12);
                off = EthernetHeaderLength;
                break;
            case LinkType.LinuxSll:
                if (f.Length < SllHeaderLength)
                    return Short(ref d, SllHeaderLength);
                type = Be16(f, 14);
                off = SllHeaderLength;
                break;
            case LinkType.LinuxSll2:
                if (f.Length < Sll2HeaderLength)
                    return Short(ref d, Sll2HeaderLength);
                type = Be16(f, 0);
                off = Sll2HeaderLength;
                break;
            case LinkType.Raw:
                if (f.Length < 1)
                    return Short(ref d, 1);
                return (f[0] >> 4) switch
                {
                    4 => IPv4(ref d, 0, EtherTypes.IPv4),
                    6 => IPv6(ref d, 0, EtherTypes.IPv6),
                    _ => Malformed(ref d),
                };
            case LinkType.IPv4:
                return IPv4(ref d, 0, EtherTypes.IPv4);
            case LinkType.IPv6:
                return IPv6(ref d, 0, EtherTypes.IPv6);
            case LinkType.Null:
            case LinkType.Loop:
                {
                    if (f.Length < LoopbackHeaderLength)
                        return Short(ref d, LoopbackHeaderLength);
                    // LINKTYPE_NULL holds the family in the capturing host's byte order: a value above
                    // 0xFFFF was written by the other byte order (libpcap does the same test).
                    uint family = d._linkType == LinkType.Loop ? BinaryPrimitives.ReadUInt32BigEndian(f)
                        : BinaryPrimitives.ReadUInt32LittleEndian(f);
                    if (family > 0xFFFF)
                        family = BinaryPrimitives.ReverseEndianness(family);
                    if (family > 0xFFFF)
                    {
                        // Neither order is an address family: some writers (BSD/OS, Cisco-style) put an
                        // ethertype in the low 16 bits, big-endian (Wireshark's null dissector does the same).
                        ushort low = BinaryPrimitives.ReadUInt16BigEndian(f[2..]);
                        return low is EtherTypes.IPv4 or EtherTypes.IPv6 ? EtherPayload(ref d, LoopbackHeaderLength, low)
                            : NotIp(ref d, LoopbackHeaderLength, 0);
                    }
                    return family switch
                    {
                        LoopbackFamilies.Inet => IPv4(ref d, LoopbackHeaderLength, EtherTypes.IPv4),
                        LoopbackFamilies.Inet6Linux or LoopbackFamilies.Inet6NetBsdOpenBsd or LoopbackFamilies.Inet6FreeBsd
                            or LoopbackFamilies.Inet6Darwin => IPv6(ref d, LoopbackHeaderLength, EtherTypes.IPv6),
                        _ => NotIp(ref d, LoopbackHeaderLength, 0),
                    };
                }
            case LinkType.Ppp:
            case LinkType.PppHdlc:
                return Ppp(ref d, 0);
            case LinkType.PppEther:
                return Pppoe(ref d, 0);
            default:
                return DecodeStatus.UnsupportedLinkType;
        }
        return EtherPayload(ref d, off, type);
    }

    /// <summary>Follows an ethertype through VLAN tags, MPLS labels and PPPoE to IP.</summary>
    private static DecodeStatus EtherPayload(ref DecodedPacket d, int off, ushort type)
    {
        ReadOnlySpan<byte> f = d._frame;
        while (type is EtherTypes.Vlan or EtherTypes.QinQ or EtherTypes.QinQLegacy)
        {
            if (d._vlanCount == MaxVlanTags)
                return Malformed(ref d);
            if (f.Length < off + VlanTagLength)
                return Short(ref d, off + VlanTagLength);
            if (d._vlanCount++ == 0)
                d._vlanId = (ushort)(Be16(f, off) & 0x0FFF);
            type = Be16(f, off + 2);
            off += VlanTagLength;
        }
        switch (type)
        {
            case EtherTypes.IPv4:
                return IPv4(ref d, off, type);
            case EtherTypes.IPv6:
                return IPv6(ref d, off, type);
            case EtherTypes.MplsUnicast:
            case EtherTypes.MplsMulticast:
                return Mpls(ref d, off);
            case EtherTypes.PppoeSession:
                return Pppoe(ref d, off);
            default:
                return NotIp(ref d, off, type);
        }
    }

    /// <summary>MPLS label stack (RFC 3032) to the bottom label, then IP guessed from the version nibble (RFC 4385 §2).</summary>
    private static DecodeStatus Mpls(ref DecodedPacket d, int off)
    {
        ReadOnlySpan<byte> f = d._frame;
        while (true)
        {
            if (d._mplsLabelCount == MaxMplsLabels)
                return Malformed(ref d);
            if (f.Length < off + MplsLabelLength)
                return Short(ref d, off + MplsLabelLength);
            bool bottom = (f[off + 2] & 1) != 0;
            d._mplsLabelCount++;
            off += MplsLabelLength;
            if (bottom)
                break;
        }
        if (f.Length <= off)
            return Short(ref d, off + 1);
        switch (f[off] >> 4)
        {
            case 4:
                return IPv4(ref d, off, EtherTypes.IPv4);
            case 6:
                return IPv6(ref d, off, EtherTypes.IPv6);
            case 0 when f.Length >= off + MplsControlWordLength + EthernetHeaderLength:
                // Ethernet pseudowire behind a control word (RFC 4448 §3, RFC 4385 §3: first nibble 0).
                off += MplsControlWordLength;
                return EtherPayload(ref d, off + EthernetHeaderLength, Be16(f, off + 12));
            default:
                return NotIp(ref d, off, 0);
        }
    }

    /// <summary>PPPoE session header (RFC 2516 §4) then the PPP protocol field.</summary>
    private static DecodeStatus Pppoe(ref DecodedPacket d, int off)
    {
        ReadOnlySpan<byte> f = d._frame;
        if (f.Length < off + PppoeHeaderLength + 2)
            return Short(ref d, off + PppoeHeaderLength + 2);
        if (f[off] != 0x11 || f[off + 1] != 0)      // version 1, type 1; code 0 = session data
            return Malformed(ref d);
        return PppProtocol(ref d, off + PppoeHeaderLength + 2, Be16(f, off + PppoeHeaderLength));
    }

    /// <summary>PPP (RFC 1661) with optional HDLC address/control (RFC 1662) and protocol-field compression.</summary>
    private static DecodeStatus Ppp(ref DecodedPacket d, int off)
    {
        ReadOnlySpan<byte> f = d._frame;
        if (f.Length < off + 2)
            return Short(ref d, off + 2);
        if (f[off] == 0xFF && f[off + 1] == 0x03)
        {
            off += 2;
            if (f.Length < off + 1)
                return Short(ref d, off + 1);
        }
        ushort protocol;
        if ((f[off] & 1) != 0)          // compressed: a one-byte protocol is odd (RFC 1661 §6.5)
        {
            protocol = f[off];
            off += 1;
        }
        else
        {
            if (f.Length < off + 2)
                return Short(ref d, off + 2);
            protocol = Be16(f, off);
            off += 2;
        }
        return PppProtocol(ref d, off, protocol);
    }

    private static DecodeStatus PppProtocol(ref DecodedPacket d, int off, ushort protocol) => protocol switch
    {
        PppProtocols.IPv4 => IPv4(ref d, off, EtherTypes.IPv4),
        PppProtocols.IPv6 => IPv6(ref d, off, EtherTypes.IPv6),
        PppProtocols.MplsUnicast or PppProtocols.MplsMulticast => Mpls(ref d, off),
        _ => NotIp(ref d, off, 0),
    };

    private static DecodeStatus IPv4(ref DecodedPacket d, int off, ushort etherType)
    {
        ReadOnlySpan<byte> f = d._frame;
        d._etherType = etherType;
        d._networkOffset = off;
        if (f.Length < off + IPv4MinimumHeaderLength)
            return Short(ref d, off + IPv4MinimumHeaderLength);
        ref byte ip = ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off);
        byte vihl = ip;
        if ((vihl >> 4) != 4)
            return Malformed(ref d);
        // From here the fixed header is IPv4: its fields are reported even if lengths turn out inconsistent.
        int ihl = (vihl & 0x0F) << 2;
        int room = d._originalLength - off;
        int total = Be16(ref ip, 2);
        if (total == 0)
            total = room;               // TSO / BIG TCP super-packet: length 0, the frame says
        d._ipVersion = 4;
        d._trafficClass = Unsafe.Add(ref ip, 1);
        d._ipIdentification = Be16(ref ip, 4);
        d._fragmentId = d._ipIdentification;
        ushort frag = Be16(ref ip, 6);
        d._fragmentOffset = (frag & 0x1FFF) << 3;
        d._fragmentFlags = (byte)(((frag & 0x2000) != 0 ? DecodedPacket.FragMore : 0) | ((frag & 0x4000) != 0 ? DecodedPacket.FragDont : 0));
        d._hopLimit = Unsafe.Add(ref ip, 8);
        d._protocol = (IpProtocol)Unsafe.Add(ref ip, 9);
        d._source = IpAddress.FromIPv4(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref ip, 12), 4));
        d._destination = IpAddress.FromIPv4(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref ip, 16), 4));
        d._ipHeaderLength = ihl;
        d._ipTotalLength = total;
        if (ihl < IPv4MinimumHeaderLength || total < ihl || total > room)
            return Malformed(ref d);
        int transport = off + ihl;
        d._fragmentDataOffset = transport;
        d._transportOffset = transport;
        d._payloadOffset = transport;
        d._payloadLength = total - ihl;
        if (f.Length < transport)
            return DecodeStatus.Truncated;   // options cut by the snapshot length
        if (d._fragmentOffset != 0)
            return DecodeStatus.Ok;          // a later fragment: no transport header here
        return Transport(ref d, transport, total - ihl);
    }

    private static DecodeStatus IPv6(ref DecodedPacket d, int off, ushort etherType)
    {
        ReadOnlySpan<byte> f = d._frame;
        d._etherType = etherType;
        d._networkOffset = off;
        if (f.Length < off + IPv6HeaderLength)
            return Short(ref d, off + IPv6HeaderLength);
        ref byte ip = ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off);
        uint first = Be32(ref ip, 0);
        if ((first >> 28) != 6)
            return Malformed(ref d);
        int room = d._originalLength - off;
        int total = IPv6HeaderLength + Be16(ref ip, 4);
        if (total == IPv6HeaderLength && room > IPv6HeaderLength)
            total = room;               // payload length 0: jumbogram / BIG TCP (RFC 2675), the frame says
        d._ipVersion = 6;
        d._trafficClass = (byte)(first >> 20);
        d._flowLabel = first & 0xFFFFF;
        d._hopLimit = Unsafe.Add(ref ip, 7);
        d._source = IpAddress.FromIPv6(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref ip, 8), 16));
        d._destination = IpAddress.FromIPv6(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref ip, 24), 16));
        d._ipTotalLength = total;
        d._protocol = (IpProtocol)Unsafe.Add(ref ip, 6);
        d._ipHeaderLength = IPv6HeaderLength;
        if (total > room)
            return Malformed(ref d);
        var next = (IpProtocol)Unsafe.Add(ref ip, 6);
        int nextField = off + 6;
        int p = off + IPv6HeaderLength;
        int end = off + total;
        // Extension headers (RFC 8200 §4): walk to the upper-layer header.
        for (int i = 0; ; i++)
        {
            int length;
            switch (next)
            {
                case IpProtocol.HopByHopOptions:
                case IpProtocol.Routing:
                case IpProtocol.DestinationOptions:
                case IpProtocol.Mobility:
                case IpProtocol.Hip:
                case IpProtocol.Shim6:
                    if (p + 2 > end)
                        return Malformed(ref d);
                    if (f.Length < p + 2)
                        return ShortIPv6(ref d, p, next);
                    length = (f[p + 1] + 1) << 3;
                    break;
                case IpProtocol.AuthenticationHeader:       // RFC 4302: length in 4-byte units minus 2
                    if (p + 2 > end)
                        return Malformed(ref d);
                    if (f.Length < p + 2)
                        return ShortIPv6(ref d, p, next);
                    length = (f[p + 1] + 2) << 2;
                    break;
                case IpProtocol.Fragment:
                    {
                        if (p + 8 > end)
                            return Malformed(ref d);
                        if (f.Length < p + 8)
                            return ShortIPv6(ref d, p, next);
                        ushort fo = Be16(f, p + 2);
                        d._fragmentOffset = fo & 0xFFF8;
                        d._fragmentFlags = (byte)(DecodedPacket.FragHeader | ((fo & 1) != 0 ? DecodedPacket.FragMore : 0));
                        d._fragmentId = Be32(f, p + 4);
                        d._fragmentNextHeaderField = nextField;
                        d._fragmentDataOffset = p + 8;
                        next = (IpProtocol)f[p];
                        nextField = p;
                        p += 8;
                        if (d._fragmentOffset != 0)
                        {
                            SetIPv6Upper(ref d, p, next);
                            return DecodeStatus.Ok;     // a later fragment: no transport header here
                        }
                        continue;
                    }
                default:
                    SetIPv6Upper(ref d, p, next);
                    if (next is IpProtocol.Esp or IpProtocol.NoNextHeader)
                        return DecodeStatus.Ok;
                    return Transport(ref d, p, end - p);
            }
            if (p + length > end)
                return Malformed(ref d);
            if (i == MaxIPv6ExtensionHeaders)
                return Malformed(ref d);
            next = (IpProtocol)f[p];
            nextField = p;
            p += length;
        }
    }

    private static void SetIPv6Upper(ref DecodedPacket d, int p, IpProtocol next)
    {
        d._protocol = next;
        d._ipHeaderLength = p - d._networkOffset;
        d._transportOffset = p;
        d._payloadOffset = p;
        d._payloadLength = d._networkOffset + d._ipTotalLength - p;
    }

    private static DecodeStatus ShortIPv6(ref DecodedPacket d, int p, IpProtocol next)
    {
        SetIPv6Upper(ref d, p, next);
        return DecodeStatus.Truncated;
    }

    /// <summary>TCP, UDP or ICMP header at <paramref name="off"/>; <paramref name="length"/> = bytes the IP header gives it.</summary>
    private static DecodeStatus Transport(ref DecodedPacket d, int off, int length)
    {
        ReadOnlySpan<byte> f = d._frame;
        switch (d._protocol)
        {
            case IpProtocol.Tcp:
                {
                    if (length < TcpMinimumHeaderLength)
                        return Malformed(ref d);
                    if (f.Length < off + TcpMinimumHeaderLength)
                        return DecodeStatus.Truncated;
                    ref byte t = ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off);
                    d._sourcePort = Be16(ref t, 0);
                    d._destinationPort = Be16(ref t, 2);
                    d._sequence = Be32(ref t, 4);
                    d._acknowledgment = Be32(ref t, 8);
                    byte dataOffset = Unsafe.Add(ref t, 12);
                    d._tcpFlags = (TcpFlags)(Unsafe.Add(ref t, 13) | ((dataOffset & 1) << 8));
                    d._window = Be16(ref t, 14);
                    d._transportChecksum = Be16(ref t, 16);
                    d._urgentPointer = Be16(ref t, 18);
                    int header = (dataOffset >> 4) << 2;
                    d._tcpHeaderLength = header;
                    d._hasTransport = true;
                    if (header < TcpMinimumHeaderLength || header > length)
                        return Malformed(ref d);
                    d._payloadOffset = off + header;
                    d._payloadLength = length - header;
                    return f.Length < off + header ? DecodeStatus.Truncated : DecodeStatus.Ok;
                }
            case IpProtocol.Udp:
                {
                    if (length < UdpHeaderLength)
                        return Malformed(ref d);
                    if (f.Length < off + UdpHeaderLength)
                        return DecodeStatus.Truncated;
                    ref byte u = ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off);
                    d._sourcePort = Be16(ref u, 0);
                    d._destinationPort = Be16(ref u, 2);
                    ushort udpLength = Be16(ref u, 4);
                    d._udpLength = udpLength;
                    d._transportChecksum = Be16(ref u, 6);
                    d._hasTransport = true;
                    d._payloadOffset = off + UdpHeaderLength;
                    if ((d._fragmentFlags & DecodedPacket.FragMore) != 0)
                    {
                        d._payloadLength = length - UdpHeaderLength;   // first fragment: UDP length covers the whole datagram
                        return DecodeStatus.Ok;
                    }
                    // UDP length 0 over an IPv6 jumbogram means "use the IP length" (RFC 2675 §4).
                    if (udpLength == 0 && d._ipVersion == 6 && length > ushort.MaxValue)
                    {
                        d._payloadLength = length - UdpHeaderLength;
                        return DecodeStatus.Ok;
                    }
                    if (udpLength < UdpHeaderLength || udpLength > length)
                        return Malformed(ref d);
                    d._payloadLength = udpLength - UdpHeaderLength;
                    return DecodeStatus.Ok;
                }
            case IpProtocol.Icmp:
            case IpProtocol.IcmpV6:
                if (length < IcmpHeaderLength)
                    return Malformed(ref d);
                if (f.Length < off + IcmpHeaderLength)
                    return DecodeStatus.Truncated;
                d._icmpType = f[off];
                d._icmpCode = f[off + 1];
                d._transportChecksum = Be16(f, off + 2);
                d._hasTransport = true;
                d._payloadOffset = off + IcmpHeaderLength;
                d._payloadLength = length - IcmpHeaderLength;
                return DecodeStatus.Ok;
            default:
                return DecodeStatus.Ok;
        }
    }

    private static DecodeStatus NotIp(ref DecodedPacket d, int off, ushort etherType)
    {
        d._networkOffset = off;
        d._etherType = etherType;
        return DecodeStatus.NotIp;
    }

    /// <summary>The captured bytes end before <paramref name="needed"/>: a snapshot cut if the wire frame was long enough, else malformed.</summary>
    private static DecodeStatus Short(ref DecodedPacket d, int needed) =>
        d._originalLength >= needed ? DecodeStatus.Truncated : DecodeStatus.Malformed;

    private static DecodeStatus Malformed(ref DecodedPacket d) => DecodeStatus.Malformed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Be16(ReadOnlySpan<byte> f, int off) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Be32(ReadOnlySpan<byte> f, int off) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(f), off)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Be16(ref byte b, int off) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, off)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Be32(ref byte b, int off) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, off)));
}
