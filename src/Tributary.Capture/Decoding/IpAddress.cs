using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tributary.Capture.Decoding;

/// <summary>
/// An IPv4 or IPv6 address as a 16-byte value: cheap to copy, compare and hash, usable as a flow-table
/// key. IPv4 addresses are held as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 §2.5.5.2),
/// so the two families never collide except with a literal ::ffff:0:0/96 IPv6 address; keep the IP
/// version in a flow key when that matters.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct IpAddress : IEquatable<IpAddress>, IComparable<IpAddress>
{
    // The 16 address bytes in network order, read as two native-endian 64-bit words.
    private readonly ulong _upper;
    private readonly ulong _lower;

    // Bytes 8..11 of an IPv4-mapped address are 00 00 ff ff: as the low half of a little-endian word.
    private const uint MappedPrefix = 0xFFFF0000;

    private IpAddress(ulong upper, ulong lower)
    {
        _upper = upper;
        _lower = lower;
    }

    /// <summary>The unspecified address (all zero bytes, IPv6 ::).</summary>
    public static IpAddress None => default;

    /// <summary>An IPv4 address from its 4 network-order bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddress FromIPv4(ReadOnlySpan<byte> bytes) =>
        new(0, MappedPrefix | (ulong)MemoryMarshal.Read<uint>(bytes) << 32);

    /// <summary>An IPv4 address from its value in host order (0x0A000001 = 10.0.0.1).</summary>
    public static IpAddress FromIPv4(uint hostOrder) =>
        new(0, MappedPrefix | (ulong)BinaryPrimitives.ReverseEndianness(hostOrder) << 32);

    /// <summary>An IPv6 address from its 16 network-order bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddress FromIPv6(ReadOnlySpan<byte> bytes) =>
        new(MemoryMarshal.Read<ulong>(bytes), MemoryMarshal.Read<ulong>(bytes[8..]));

    /// <summary>From a <see cref="System.Net.IPAddress"/> (IPv4 or IPv6).</summary>
    public static IpAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(b, out _);
            return FromIPv4(b);
        }
        address.TryWriteBytes(b, out _);
        return FromIPv6(b);
    }

    /// <summary>Parses dotted IPv4 or IPv6 text.</summary>
    public static IpAddress Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    /// <summary>True for an IPv4 address (IPv4-mapped form).</summary>
    public bool IsIPv4 => _upper == 0 && (uint)_lower == MappedPrefix;

    /// <summary>The IPv4 address in host order (10.0.0.1 = 0x0A000001); 0 for IPv6.</summary>
    public uint IPv4Value => IsIPv4 ? BinaryPrimitives.ReverseEndianness((uint)(_lower >> 32)) : 0;

    /// <summary>First 8 address bytes as a native-endian word: for custom hashing.</summary>
    public ulong Upper => _upper;

    /// <summary>Last 8 address bytes as a native-endian word: for custom hashing.</summary>
    public ulong Lower => _lower;

    /// <summary>Writes the address bytes (4 for IPv4, 16 for IPv6); returns how many.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (IsIPv4)
        {
            MemoryMarshal.Write(destination, (uint)(_lower >> 32));
            return 4;
        }
        MemoryMarshal.Write(destination, _upper);
        MemoryMarshal.Write(destination[8..], _lower);
        return 16;
    }

    /// <summary>Writes all 16 bytes (the IPv4-mapped form for IPv4).</summary>
    public void WriteTo16(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, _upper);
        MemoryMarshal.Write(destination[8..], _lower);
    }

    /// <summary>A <see cref="System.Net.IPAddress"/> (allocates; for display and sockets, not hot paths).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        int n = WriteTo(b);
        return new IPAddress(b[..n]);
    }

    /// <summary>Text form: dotted quad for IPv4, RFC 5952 for IPv6.</summary>
    public override string ToString() => ToIPAddress().ToString();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(IpAddress other) => _upper == other._upper && _lower == other._lower;

    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        ulong h = (_upper ^ (_lower * 0x9E3779B97F4A7C15UL)) * 0xBF58476D1CE4E5B9UL;
        return (int)(h ^ (h >> 32));
    }

    /// <summary>Orders by the address bytes (network order): IPv4 addresses sort together.</summary>
    public int CompareTo(IpAddress other)
    {
        int c = BinaryPrimitives.ReverseEndianness(_upper).CompareTo(BinaryPrimitives.ReverseEndianness(other._upper));
        return c != 0 ? c : BinaryPrimitives.ReverseEndianness(_lower).CompareTo(BinaryPrimitives.ReverseEndianness(other._lower));
    }

    public static bool operator ==(IpAddress left, IpAddress right) => left.Equals(right);

    public static bool operator !=(IpAddress left, IpAddress right) => !left.Equals(right);

    public static bool operator <(IpAddress left, IpAddress right) => left.CompareTo(right) < 0;

    public static bool operator >(IpAddress left, IpAddress right) => left.CompareTo(right) > 0;

    public static bool operator <=(IpAddress left, IpAddress right) => left.CompareTo(right) <= 0;

    public static bool operator >=(IpAddress left, IpAddress right) => left.CompareTo(right) >= 0;
}
