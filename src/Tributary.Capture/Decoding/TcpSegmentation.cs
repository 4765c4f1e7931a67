using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// Software TCP segmentation, what a NIC's TSO or the kernel's GSO does to a super-frame, for forwarders: a TCP
/// frame whose IP packet is larger than the outgoing link's MTU (a sender's TSO/GSO frame crossing a veth, or a
/// receive-side GRO merge) becomes segments that fit. Each segment carries the original link, IP and TCP headers
/// (options included) and the next slice of the payload, with the sequence number advanced by the slice's offset,
/// IPv4 identification + index, lengths and checksums (IPv4 header, TCP over the pseudo-header) recomputed; CWR only
/// on the first segment, FIN and PSH only on the last; an urgent pointer is moved along with the sequence number (URG
/// dropped from segments past the urgent data). SYN and RST frames, fragments, frames whose payload was not captured
/// whole and non-TCP frames cannot be split (<see cref="SegmentPayloadSize"/> is 0).
/// </summary>
public static class TcpSegmentation
{
    /// <summary>
    /// Payload bytes per segment so that each segment's IP packet (IP header with options or extension headers, TCP
    /// header with options, payload) is at most <paramref name="mtu"/> bytes; 0 when the packet cannot be segmented.
    /// </summary>
    public static int SegmentPayloadSize(in DecodedPacket packet, int mtu)
    {
        if (packet.Status != DecodeStatus.Ok || !packet.IsTcp || packet.IsFragment || packet.IpVersion is not (4 or 6))
            return 0;
        if ((packet.TcpFlags & (TcpFlags.Syn | TcpFlags.Rst)) != 0 || packet.PayloadLength <= 0 || packet.IsPayloadTruncated)
            return 0;
        if (packet.PayloadOffset != packet.TransportOffset + packet.TcpHeaderLength)
            return 0;
        int size = mtu - packet.IpHeaderLength - packet.TcpHeaderLength;
        return size > 0 ? size : 0;
    }

    /// <summary>How many segments the packet splits into at <paramref name="mtu"/> (0: it cannot be segmented).</summary>
    public static int SegmentCount(in DecodedPacket packet, int mtu)
    {
        int size = SegmentPayloadSize(packet, mtu);
        return size == 0 ? 0 : (packet.PayloadLength + size - 1) / size;
    }

    /// <summary>The largest frame <see cref="WriteSegment"/> writes for this packet and MTU.</summary>
    public static int MaxSegmentLength(in DecodedPacket packet, int mtu) =>
        packet.PayloadOffset + Math.Min(SegmentPayloadSize(packet, mtu), packet.PayloadLength);

    /// <summary>
    /// Writes segment <paramref name="index"/> (0 ≤ index &lt; <see cref="SegmentCount"/>) of the packet into
    /// <paramref name="destination"/> (at least <see cref="MaxSegmentLength"/> bytes) and returns the frame's length.
    /// </summary>
    public static int WriteSegment(in DecodedPacket packet, int mtu, int index, Span<byte> destination)
    {
        int size = SegmentPayloadSize(packet, mtu);
        if (size == 0)
            throw new ArgumentException("the packet cannot be segmented", nameof(packet));
        int count = (packet.PayloadLength + size - 1) / size;
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        int offset = index * size;
        int length = Math.Min(size, packet.PayloadLength - offset);
        int transportLength = packet.TcpHeaderLength + length;
        Span<byte> segment = SegmentWriter.Write(packet, index, offset, length, transportLength, destination);

        int t = packet.TransportOffset;
        BinaryPrimitives.WriteUInt32BigEndian(segment[(t + 4)..], packet.Sequence + (uint)offset);
        TcpFlags flags = packet.TcpFlags;
        if (index > 0)
            flags &= ~TcpFlags.Cwr;
        if (index < count - 1)
            flags &= ~(TcpFlags.Fin | TcpFlags.Psh);
        ushort urgent = packet.UrgentPointer;
        if ((flags & TcpFlags.Urg) != 0)
        {
            if (urgent > offset)
            {
                urgent = (ushort)(urgent - offset);
            }
            else
            {
                flags &= ~TcpFlags.Urg;
                urgent = 0;
            }
        }
        // Data offset (high nibble of byte 12) is kept; AE is the low bit of byte 12, the rest byte 13.
        segment[t + 12] = (byte)((segment[t + 12] & 0xFE) | (((ushort)flags >> 8) & 1));
        segment[t + 13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment[(t + 18)..], urgent);
        Checksums.StoreTransport(segment, packet, transportLength);
        return segment.Length;
    }
}
