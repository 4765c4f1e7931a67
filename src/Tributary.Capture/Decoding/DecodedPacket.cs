using System.Runtime.CompilerServices;

namespace Tributary.Capture.Decoding;

/// <summary>
/// The link, IP and transport view of one frame, filled by <see cref="PacketDecoder"/> without
/// allocating. Offsets are into <see cref="Frame"/>; spans are slices of it and live as long as the
/// frame does. Fields of a layer are valid when the decoder got that far: <see cref="IpVersion"/>
/// is non-zero once the IP header was read, <see cref="HasTransportHeader"/> once the TCP/UDP/ICMP
/// header was.
/// </summary>
public ref struct DecodedPacket
{
    internal ReadOnlySpan<byte> _frame;
    internal int _originalLength;
    internal LinkType _linkType;
    internal DecodeStatus _status;
    internal ushort _etherType;
    internal byte _vlanCount;
    internal byte _mplsLabelCount;
    internal ushort _vlanId;
    internal int _networkOffset;

    internal byte _ipVersion;
    internal IpProtocol _protocol;
    internal byte _hopLimit;
    internal byte _trafficClass;
    internal int _ipHeaderLength;
    internal int _ipTotalLength;
    internal IpAddress _source;
    internal IpAddress _destination;
    internal uint _fragmentId;
    internal int _fragmentOffset;
    internal byte _fragmentFlags;      // FragMore | FragDont | FragHeader
    internal ushort _ipIdentification;
    internal uint _flowLabel;
    internal int _fragmentDataOffset;       // where the fragment's data starts (after the fragment header for IPv6)
    internal int _fragmentNextHeaderField;  // IPv6: offset of the next-header byte that names the fragment header

    internal bool _hasTransport;
    internal int _transportOffset;
    internal ushort _sourcePort;
    internal ushort _destinationPort;
    internal uint _sequence;
    internal uint _acknowledgment;
    internal TcpFlags _tcpFlags;
    internal ushort _window;
    internal ushort _urgentPointer;
    internal ushort _transportChecksum;
    internal int _tcpHeaderLength;
    internal ushort _udpLength;
    internal byte _icmpType;
    internal byte _icmpCode;
    internal int _payloadOffset;
    internal int _payloadLength;

    internal const byte FragMore = 1;
    internal const byte FragDont = 2;
    internal const byte FragHeader = 4;

    /// <summary>The whole captured frame (link header first).</summary>
    public readonly ReadOnlySpan<byte> Frame => _frame;

    /// <summary>The frame's length on the wire.</summary>
    public readonly int OriginalLength => _originalLength;

    /// <summary>How far decoding got.</summary>
    public readonly DecodeStatus Status => _status;

    /// <summary>The frame's link type.</summary>
    public readonly LinkType LinkType => _linkType;

    /// <summary>
    /// The network protocol as an ethertype (<see cref="EtherTypes"/>) after every tag, label and
    /// PPP header: 0x0800 / 0x86DD for IP whatever the link type; 0 when the link layer does not say.
    /// </summary>
    public readonly ushort EtherType => _etherType;

    /// <summary>802.1Q / 802.1ad tags crossed (0 = untagged).</summary>
    public readonly int VlanCount => _vlanCount;

    /// <summary>VLAN id (12 bits) of the outermost tag; 0 when untagged.</summary>
    public readonly int VlanId => _vlanId;

    /// <summary>MPLS labels crossed (0 = none).</summary>
    public readonly int MplsLabelCount => _mplsLabelCount;

    /// <summary>Offset of the IP header in <see cref="Frame"/> (the end of the link layer).</summary>
    public readonly int NetworkOffset => _networkOffset;

    // ---- IP ----

    /// <summary>4 or 6 once an IP header was decoded; 0 otherwise.</summary>
    public readonly int IpVersion => _ipVersion;

    /// <summary>Source address.</summary>
    public readonly IpAddress Source => _source;

    /// <summary>Destination address.</summary>
    public readonly IpAddress Destination => _destination;

    /// <summary>
    /// Bytes from the IP header's start to the transport header: IHL×4 for IPv4; 40 plus every
    /// extension header (hop-by-hop, routing, fragment, destination options, AH …) for IPv6.
    /// </summary>
    public readonly int IpHeaderLength => _ipHeaderLength;

    /// <summary>
    /// The datagram's length from its header: IPv4 total length; 40 + payload length for IPv6. When
    /// the header says 0 (TSO / BIG TCP super-packets) the frame's remaining length is used.
    /// Bytes of the frame beyond it (Ethernet padding, FCS) belong to no layer.
    /// </summary>
    public readonly int IpTotalLength => _ipTotalLength;

    /// <summary>The upper-layer protocol (after IPv6 extension headers; inside the fragment header for fragments).</summary>
    public readonly IpProtocol Protocol => _protocol;

    /// <summary>TTL (IPv4) or hop limit (IPv6).</summary>
    public readonly int HopLimit => _hopLimit;

    /// <summary>IPv4 TOS / IPv6 traffic class (DSCP and ECN).</summary>
    public readonly int TrafficClass => _trafficClass;

    /// <summary>IPv6 flow label (20 bits); 0 for IPv4.</summary>
    public readonly uint FlowLabel => _flowLabel;

    /// <summary>IPv4 identification field; 0 for IPv6.</summary>
    public readonly ushort IpIdentification => _ipIdentification;

    /// <summary>IPv4 DF bit.</summary>
    public readonly bool DontFragment => (_fragmentFlags & FragDont) != 0;

    /// <summary>
    /// True when this packet holds a fragment of a larger datagram (MF set or offset non-zero).
    /// An IPv6 atomic fragment (fragment header with offset 0 and M clear, RFC 6946) is not one.
    /// </summary>
    public readonly bool IsFragment => (_fragmentFlags & FragMore) != 0 || _fragmentOffset != 0;

    /// <summary>More-fragments flag.</summary>
    public readonly bool MoreFragments => (_fragmentFlags & FragMore) != 0;

    /// <summary>Fragment offset in bytes.</summary>
    public readonly int FragmentOffset => _fragmentOffset;

    /// <summary>Datagram id that groups fragments: the IPv4 identification, or the IPv6 fragment header's identification.</summary>
    public readonly uint FragmentId => _fragmentId;

    /// <summary>True when an IPv6 fragment header was present (also for atomic fragments).</summary>
    public readonly bool HasFragmentHeader => (_fragmentFlags & FragHeader) != 0;

    /// <summary>The IP header including IPv6 extension headers (captured part).</summary>
    public readonly ReadOnlySpan<byte> IpHeader => Clip(_networkOffset, _ipHeaderLength);

    /// <summary>
    /// The IP payload after every header: the fragment's data for fragments, the transport segment
    /// otherwise (captured part; <see cref="IpPayloadLength"/> is its real length).
    /// </summary>
    public readonly ReadOnlySpan<byte> IpPayload => Clip(_networkOffset + _ipHeaderLength, _ipTotalLength - _ipHeaderLength);

    /// <summary>Length of the IP payload from the headers.</summary>
    public readonly int IpPayloadLength => _ipTotalLength - _ipHeaderLength;

    // ---- transport ----

    /// <summary>True when the fixed TCP (20 bytes), UDP (8) or ICMP (4) header was captured.</summary>
    public readonly bool HasTransportHeader => _hasTransport;

    /// <summary>True when a TCP header was decoded.</summary>
    public readonly bool IsTcp => _hasTransport && _protocol == IpProtocol.Tcp;

    /// <summary>True when a UDP header was decoded.</summary>
    public readonly bool IsUdp => _hasTransport && _protocol == IpProtocol.Udp;

    /// <summary>Offset of the transport header in <see cref="Frame"/>.</summary>
    public readonly int TransportOffset => _transportOffset;

    /// <summary>TCP/UDP source port.</summary>
    public readonly ushort SourcePort => _sourcePort;

    /// <summary>TCP/UDP destination port.</summary>
    public readonly ushort DestinationPort => _destinationPort;

    /// <summary>TCP sequence number.</summary>
    public readonly uint Sequence => _sequence;

    /// <summary>TCP acknowledgment number.</summary>
    public readonly uint Acknowledgment => _acknowledgment;

    /// <summary>TCP flags (9 bits).</summary>
    public readonly TcpFlags TcpFlags => _tcpFlags;

    /// <summary>TCP window field, unscaled.</summary>
    public readonly ushort Window => _window;

    /// <summary>TCP urgent pointer.</summary>
    public readonly ushort UrgentPointer => _urgentPointer;

    /// <summary>The TCP or UDP checksum field as sent.</summary>
    public readonly ushort TransportChecksum => _transportChecksum;

    /// <summary>TCP data offset in bytes (20–60).</summary>
    public readonly int TcpHeaderLength => _tcpHeaderLength;

    /// <summary>TCP options (captured part of the header beyond 20 bytes); iterate with <see cref="TcpOptionReader"/>.</summary>
    public readonly ReadOnlySpan<byte> TcpOptions => IsTcp ? Clip(_transportOffset + 20, _tcpHeaderLength - 20) : default;

    /// <summary>UDP length field.</summary>
    public readonly ushort UdpLength => _udpLength;

    /// <summary>ICMP / ICMPv6 type.</summary>
    public readonly byte IcmpType => _icmpType;

    /// <summary>ICMP / ICMPv6 code.</summary>
    public readonly byte IcmpCode => _icmpCode;

    /// <summary>Offset of the payload in <see cref="Frame"/> (after the TCP/UDP header; the fragment data for non-first fragments).</summary>
    public readonly int PayloadOffset => _payloadOffset;

    /// <summary>
    /// Payload length from the headers (TCP: IP length − IP headers − data offset; UDP: UDP length − 8),
    /// so Ethernet padding is never payload. Count this for sequence space even when the capture cut it.
    /// </summary>
    public readonly int PayloadLength => _payloadLength;

    /// <summary>The payload bytes actually captured (≤ <see cref="PayloadLength"/>).</summary>
    public readonly ReadOnlySpan<byte> Payload => Clip(_payloadOffset, _payloadLength);

    /// <summary>True when the snapshot length cut the payload (<c>Payload.Length &lt; PayloadLength</c>).</summary>
    public readonly bool IsPayloadTruncated => _frame.Length - _payloadOffset < _payloadLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ReadOnlySpan<byte> Clip(int offset, int length)
    {
        int available = _frame.Length - offset;
        if (available <= 0 || length <= 0)
            return default;
        return _frame.Slice(offset, Math.Min(length, available));
    }
}
