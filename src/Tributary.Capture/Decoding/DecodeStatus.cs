namespace Tributary.Capture.Decoding;

/// <summary>How far <see cref="PacketDecoder"/> got with a packet.</summary>
public enum DecodeStatus : byte
{
    /// <summary>
    /// IP decoded, and the transport header too when this packet carries one (TCP/UDP/ICMP, not a
    /// non-first fragment). Other IP protocols are fine: <see cref="DecodedPacket.Protocol"/> says which.
    /// </summary>
    Ok,

    /// <summary>A valid link layer that does not carry IP (ARP, LLDP, 802.3/LLC, PPPoE discovery, MPLS pseudowire …).</summary>
    NotIp,

    /// <summary>A link type the decoder does not know (<see cref="LinkTypeNames.IsSupported"/>).</summary>
    UnsupportedLinkType,

    /// <summary>
    /// The snapshot length cut the packet inside a header the decoder needed; the packet itself was
    /// consistent as far as it was captured. Fields decoded before the cut are valid.
    /// </summary>
    Truncated,

    /// <summary>
    /// A header contradicts itself or the packet length (bad IP version or header length, IP length
    /// beyond the frame, TCP data offset below 5 or beyond the segment, UDP length out of range, too
    /// many tags or labels …). Fields decoded before the fault are valid.
    /// </summary>
    Malformed,
}
