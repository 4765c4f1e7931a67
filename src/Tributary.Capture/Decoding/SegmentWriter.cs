using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// What TCP and UDP segmentation share: one piece of a super-frame with its IP header made right (the transport
/// checksum is <see cref="Checksums.StoreTransport"/>'s).
/// </summary>
internal static class SegmentWriter
{
    /// <summary>
    /// Writes the super-frame's headers (link, IP, transport) and <paramref name="length"/> payload bytes from
    /// <paramref name="offset"/> into <paramref name="destination"/>, with the IP length for a transport segment of
    /// <paramref name="transportLength"/> bytes and, for IPv4, identification + <paramref name="index"/> and the header
    /// checksum. The transport header is the caller's to finish. Returns the piece.
    /// </summary>
    public static Span<byte> Write(in DecodedPacket packet, int index, int offset, int length, int transportLength, Span<byte> destination)
    {
        int headers = packet.PayloadOffset;
        if (destination.Length < headers + length)
            throw new ArgumentException($"destination holds {destination.Length} bytes, the segment needs {headers + length}", nameof(destination));
        ReadOnlySpan<byte> frame = packet.Frame;
        frame[..headers].CopyTo(destination);
        frame.Slice(headers + offset, length).CopyTo(destination[headers..]);
        Span<byte> piece = destination[..(headers + length)];
        int n = packet.NetworkOffset;
        if (packet.IpVersion == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(piece[(n + 2)..], (ushort)(packet.IpHeaderLength + transportLength));
            BinaryPrimitives.WriteUInt16BigEndian(piece[(n + 4)..], (ushort)(packet.IpIdentification + index));
            Checksums.UpdateIPv4Header(piece, packet);
        }
        else
        {
            // The payload length covers the extension headers too.
            BinaryPrimitives.WriteUInt16BigEndian(piece[(n + 4)..], (ushort)(packet.IpHeaderLength - 40 + transportLength));
        }
        return piece;
    }
}
