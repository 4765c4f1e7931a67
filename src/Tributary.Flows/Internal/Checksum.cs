using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tributary.Flows.Internal;

/// <summary>
/// Internet checksum (RFC 1071) verification for IPv4 headers and TCP over IPv4/IPv6 pseudo headers
/// (RFC 9293 §3.1, RFC 8200 §8.1). The one's-complement sum is byte-order independent, so words are added in
/// native order and the result compared with 0xFFFF; the bulk loop adds 32-bit lanes into 64-bit accumulators.
/// </summary>
internal static unsafe class Checksum
{
    public static bool VerifyIPv4Header(byte* ip, int headerLength) => Fold(Sum(ip, headerLength, 0)) == 0xFFFF;

    /// <summary>True when the TCP (or UDP) segment's checksum field matches its content.</summary>
    public static bool VerifyTransport(ref PacketContext p)
    {
        byte* f = p.Frame;
        int l4Length = p.L3Offset + p.IpLength - p.L4Offset;
        if (l4Length < 0 || p.L4Offset + l4Length > p.FrameLength)
            return false;
        ulong sum;
        if (p.IpVersion == 4)
        {
            byte* ip = f + p.L3Offset;
            sum = (ulong)Unsafe.ReadUnaligned<uint>(ip + 12) + Unsafe.ReadUnaligned<uint>(ip + 16);
        }
        else
        {
            sum = Sum(f + p.L3Offset + 8, 32, 0);
        }
        // Protocol and length in network order, added as native 16-bit words.
        sum += BinaryPrimitives.ReverseEndianness((ushort)p.Protocol);
        sum += BinaryPrimitives.ReverseEndianness((ushort)l4Length);
        if (p.IpVersion == 6)
            sum += BinaryPrimitives.ReverseEndianness((ushort)(l4Length >> 16));
        sum = Sum(f + p.L4Offset, l4Length, sum);
        return Fold(sum) == 0xFFFF;
    }

    /// <summary>Recomputes the IPv4 header checksum in place.</summary>
    public static void UpdateIPv4Header(byte* ip, int headerLength)
    {
        Unsafe.WriteUnaligned<ushort>(ip + 10, 0);
        Unsafe.WriteUnaligned(ip + 10, (ushort)~Fold(Sum(ip, headerLength, 0)));
    }

    /// <summary>Recomputes the TCP checksum of the decoded segment in place.</summary>
    public static void UpdateTransport(ref PacketContext p)
    {
        byte* field = p.Frame + p.L4Offset + (p.Protocol == 6 ? 16 : 6);
        Unsafe.WriteUnaligned<ushort>(field, 0);
        ushort folded = FoldTransport(ref p);
        Unsafe.WriteUnaligned(field, (ushort)~folded);
    }

    private static ushort FoldTransport(ref PacketContext p)
    {
        byte* f = p.Frame;
        int l4Length = p.L3Offset + p.IpLength - p.L4Offset;
        ulong sum;
        if (p.IpVersion == 4)
        {
            byte* ip = f + p.L3Offset;
            sum = (ulong)Unsafe.ReadUnaligned<uint>(ip + 12) + Unsafe.ReadUnaligned<uint>(ip + 16);
        }
        else
        {
            sum = Sum(f + p.L3Offset + 8, 32, 0);
        }
        sum += BinaryPrimitives.ReverseEndianness((ushort)p.Protocol);
        sum += BinaryPrimitives.ReverseEndianness((ushort)l4Length);
        if (p.IpVersion == 6)
            sum += BinaryPrimitives.ReverseEndianness((ushort)(l4Length >> 16));
        return Fold(Sum(f + p.L4Offset, l4Length, sum));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>Adds the bytes at <paramref name="p"/> as native 16-bit words into <paramref name="sum"/> (unfolded).</summary>
    /// <remarks>
    /// Optimized at its first call: unoptimized (tier-0) vector code is tens of times slower, and a checksummed pass
    /// over a capture would otherwise run the first hundreds of thousands of segments through it.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Sum(byte* p, int length, ulong sum)
    {
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            Vector256<ulong> acc0 = Vector256<ulong>.Zero, acc1 = Vector256<ulong>.Zero;
            while (length >= 32)
            {
                Vector256<uint> v = Vector256.Load((uint*)p);
                (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen(v);
                acc0 += lo;
                acc1 += hi;
                p += 32;
                length -= 32;
            }
            // Each lane gains < 2^32 per step, so the lanes (and their sum) stay far below 2^64 for any frame.
            sum += Vector256.Sum(acc0 + acc1);
        }
        while (length >= 8)
        {
            ulong v = Unsafe.ReadUnaligned<ulong>(p);
            sum += (v & 0xFFFFFFFF) + (v >> 32);
            p += 8;
            length -= 8;
        }
        if (length >= 4)
        {
            sum += Unsafe.ReadUnaligned<uint>(p);
            p += 4;
            length -= 4;
        }
        if (length >= 2)
        {
            sum += Unsafe.ReadUnaligned<ushort>(p);
            p += 2;
            length -= 2;
        }
        if (length == 1)
        {
            // The odd byte is the high-order byte of a zero-padded network-order word (RFC 1071 §4.1).
            sum += BitConverter.IsLittleEndian ? p[0] : (ulong)p[0] << 8;
        }
        return sum;
    }
}
