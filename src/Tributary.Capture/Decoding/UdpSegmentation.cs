using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// Software UDP segmentation, what the kernel's UDP GSO does to a <c>UDP_SEGMENT</c> super-datagram (QUIC stacks send
/// them): the UDP payload is cut into datagrams of the sender's segment size (the last may be shorter), each with
/// the original link and IP headers, its own UDP header (length, checksum over the pseudo-header) and, for IPv4,
/// total length, identification + index and header checksum. The segment size is not in the frame: a live source
/// gives it (<see cref="Packet.SegmentSize"/>). Fragments, frames whose payload was not captured whole and
/// datagrams that would not fit the MTU cannot be split (<see cref="SegmentCount"/> is 0).
/// </summary>
public static class UdpSegmentation
{
    private const int UdpHeaderLength = 8;

    /// <summary>
    /// How many datagrams of <paramref name="segmentSize"/> payload bytes the packet splits into, each IP packet at most
    /// <paramref name="mtu"/> bytes; 0 when it cannot be split.
    /// </summary>
    public static int SegmentCount(in DecodedPacket packet, int segmentSize, int mtu)
    {
        if (segmentSize <= 0 || !packet.IsUdp || packet.IsFragment || packet.IpVersion is not (4 or 6))
            return 0;
        if (packet.PayloadOffset != packet.TransportOffset + UdpHeaderLength)
            return 0;
        int payload = PayloadLength(packet);
        if (payload <= 0 || packet.Frame.Length < packet.PayloadOffset + payload)
            return 0;
        if (packet.IpHeaderLength + UdpHeaderLength + segmentSize > mtu)
            return 0;
        return (payload + segmentSize - 1) / segmentSize;
    }

    /// <summary>The largest frame <see cref="WriteSegment"/> writes for this packet and segment size.</summary>
    public static int MaxSegmentLength(in DecodedPacket packet, int segmentSize) =>
        packet.PayloadOffset + Math.Min(segmentSize, Math.Max(0, PayloadLength(packet)));

    /// <summary>
    /// Writes datagram <paramref name="index"/> (0 ≤ index &lt; <see cref="SegmentCount"/>) into
    /// <paramref name="destination"/> and returns the frame's length.
    /// </summary>
    public static int WriteSegment(in DecodedPacket packet, int segmentSize, int mtu, int index, Span<byte> destination)
    {
        int count = SegmentCount(packet, segmentSize, mtu);
        if (count == 0)
            throw new ArgumentException("the packet cannot be segmented", nameof(packet));
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        int offset = index * segmentSize;
        int length = Math.Min(segmentSize, PayloadLength(packet) - offset);
        int udpLength = UdpHeaderLength + length;
        Span<byte> datagram = SegmentWriter.Write(packet, index, offset, length, udpLength, destination);
        int t = packet.TransportOffset;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[(t + 4)..], (ushort)udpLength);
        Checksums.StoreTransport(datagram, packet, udpLength);
        return datagram.Length;
    }

    /// <summary>The super-datagram's payload: all the IP packet carries after the UDP header (its length field may not say).</summary>
    private static int PayloadLength(in DecodedPacket packet) => packet.IpPayloadLength - UdpHeaderLength;
}
