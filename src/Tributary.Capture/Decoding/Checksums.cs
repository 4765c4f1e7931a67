using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tributary.Capture.Decoding;

/// <summary>
/// Internet checksum (RFC 1071) verification and update for IPv4 headers and TCP/UDP over IPv4/IPv6.
/// Called only when a caller asks (capture hosts with checksum offload write wrong checksums on
/// every packet they send, DESIGN.md "Checksums").
/// </summary>
public static class Checksums
{
    /// <summary>True when the IPv4 header checksum is right (false when not IPv4 or the header was not captured).</summary>
    public static bool VerifyIPv4Header(in DecodedPacket packet)
    {
        if (packet.IpVersion != 4)
            return false;
        ReadOnlySpan<byte> header = packet.IpHeader;
        return header.Length == packet.IpHeaderLength && Fold(Sum(header, 0)) == 0xFFFF;
    }

    /// <summary>
    /// Verifies the TCP or UDP checksum over the pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
    /// Only whole, unfragmented segments can be checked; a UDP/IPv4 checksum of 0 means "none".
    /// </summary>
    public static ChecksumResult VerifyTransport(in DecodedPacket packet)
    {
        if (!packet.HasTransportHeader || packet.Status != DecodeStatus.Ok || packet.IsFragment)
            return ChecksumResult.NotVerifiable;
        if (packet.Protocol is not (IpProtocol.Tcp or IpProtocol.Udp))
            return ChecksumResult.NotVerifiable;
        int length = packet.IpPayloadLength;
        if (packet.Protocol == IpProtocol.Udp)
        {
            if (packet.TransportChecksum == 0 && packet.IpVersion == 4)
                return ChecksumResult.Absent;
            length = packet.UdpLength == 0 ? length : packet.UdpLength;
        }
        int start = packet.TransportOffset;
        if (packet.Frame.Length - start < length)
            return ChecksumResult.NotVerifiable;
        ulong sum = PseudoHeaderSum(packet, (uint)length);
        sum = Sum(packet.Frame.Slice(start, length), sum);
        return Fold(sum) == 0xFFFF ? ChecksumResult.Good : ChecksumResult.Bad;
    }

    /// <summary>
    /// Computes and stores the TCP or UDP checksum of a whole segment in <paramref name="frame"/>
    /// (the frame <paramref name="packet"/> was decoded from), e.g. after rewriting it in inline mode.
    /// </summary>
    public static bool UpdateTransport(Span<byte> frame, in DecodedPacket packet)
    {
        if (!packet.HasTransportHeader || packet.IsFragment || packet.Protocol is not (IpProtocol.Tcp or IpProtocol.Udp))
            return false;
        int length = packet.Protocol == IpProtocol.Udp && packet.UdpLength != 0 ? packet.UdpLength : packet.IpPayloadLength;
        if (frame.Length - packet.TransportOffset < length)
            return false;
        StoreTransport(frame, packet, length);
        return true;
    }

    /// <summary>
    /// Computes and stores the TCP or UDP checksum of the <paramref name="length"/>-byte transport segment at
    /// <paramref name="packet"/>'s transport offset in <paramref name="frame"/>, which may be a piece cut from the
    /// frame it was decoded from (same headers, its own length).
    /// </summary>
    internal static void StoreTransport(Span<byte> frame, in DecodedPacket packet, int length)
    {
        int start = packet.TransportOffset;
        int field = start + (packet.Protocol == IpProtocol.Tcp ? 16 : 6);
        frame[field] = 0;
        frame[field + 1] = 0;
        ushort c = (ushort)~Fold(Sum(frame.Slice(start, length), PseudoHeaderSum(packet, (uint)length)));
        if (c == 0 && packet.Protocol == IpProtocol.Udp)
            c = 0xFFFF;   // RFC 768: a computed 0 is sent as all ones
        BinaryPrimitives.WriteUInt16BigEndian(frame[field..], c);
    }

    /// <summary>Recomputes and stores the IPv4 header checksum in <paramref name="frame"/>.</summary>
    public static bool UpdateIPv4Header(Span<byte> frame, in DecodedPacket packet)
    {
        if (packet.IpVersion != 4 || frame.Length < packet.NetworkOffset + packet.IpHeaderLength)
            return false;
        Span<byte> header = frame.Slice(packet.NetworkOffset, packet.IpHeaderLength);
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)~Fold(Sum(header, 0)));
        return true;
    }

    /// <summary>
    /// Incremental update (RFC 1624 eqn. 3): the new checksum after one 16-bit word of the covered
    /// data changed from <paramref name="oldWord"/> to <paramref name="newWord"/>.
    /// </summary>
    public static ushort Adjust(ushort checksum, ushort oldWord, ushort newWord)
    {
        uint sum = (uint)(ushort)~checksum + (ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>The pseudo-header's contribution to a transport checksum.</summary>
    public static ulong PseudoHeaderSum(in DecodedPacket packet, uint transportLength)
    {
        Span<byte> buffer = stackalloc byte[16];
        ulong sum;
        if (packet.IpVersion == 4)
        {
            packet.Source.WriteTo(buffer);
            packet.Destination.WriteTo(buffer[4..]);
            sum = Sum(buffer[..8], 0);
        }
        else
        {
            packet.Source.WriteTo16(buffer);
            sum = Sum(buffer, 0);
            packet.Destination.WriteTo16(buffer);
            sum = Sum(buffer, sum);
        }
        // Length and protocol as big-endian 16-bit words; Sum adds words in memory order, so the
        // values must be byte-swapped to match.
        return sum + BinaryPrimitives.ReverseEndianness((ushort)(transportLength >> 16))
            + BinaryPrimitives.ReverseEndianness((ushort)transportLength)
            + BinaryPrimitives.ReverseEndianness((ushort)packet.Protocol);
    }

    /// <summary>
    /// One's-complement sum of <paramref name="data"/> added to <paramref name="initial"/>, as 16-bit
    /// words in memory order (fold with <see cref="Fold"/>; on little-endian hosts the folded value is
    /// byte-swapped relative to network order, which the all-ones test and <c>~</c> do not care about
    /// as long as callers stay consistent — <see cref="Fold"/> swaps it back).
    /// </summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong initial)
    {
        ulong sum = initial;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int n = data.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 64)
        {
            // 32 bytes per step as eight 32-bit lanes widened into 64-bit accumulators: no carries lost.
            Vector256<ulong> acc0 = Vector256<ulong>.Zero, acc1 = Vector256<ulong>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                Vector256<uint> v = Vector256.LoadUnsafe(ref Unsafe.Add(ref p, i)).AsUInt32();
                (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen(v);
                acc0 += lo;
                acc1 += hi;
            }
            sum += Vector256.Sum(acc0) + Vector256.Sum(acc1);   // cannot overflow: < 2^32 × 2^32 / 32 bytes
        }
        for (; i + 8 <= n; i += 8)
        {
            ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i));
            sum += (w & 0xFFFFFFFF) + (w >> 32);
        }
        if (i + 4 <= n)
        {
            sum += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i));
            i += 4;
        }
        if (i + 2 <= n)
        {
            sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref p, i));
            i += 2;
        }
        if (i < n)
            sum += BitConverter.IsLittleEndian ? Unsafe.Add(ref p, i) : (ulong)Unsafe.Add(ref p, i) << 8;
        return sum;
    }

    /// <summary>Folds a sum from <see cref="Sum"/> to 16 bits, in host order of the network-order checksum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        ushort folded = (ushort)sum;
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }
}
