using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp;

/// <summary>
/// An IPv4 or IPv6 address with a port, held inline so that decoding an MPTCP event allocates
/// nothing. The port is the numeric value (host order); the address bytes are kept in network order
/// as the kernel sends them. <c>default</c> is "no address".
/// </summary>
public readonly struct MptcpAddress : IEquatable<MptcpAddress>
{
    // The address bytes in network order: IPv4 uses the first 4 bytes of _high.
    private readonly ulong _high;
    private readonly ulong _low;

    private MptcpAddress(AddressFamily family, ulong high, ulong low, ushort port)
    {
        Family = family;
        _high = high;
        _low = low;
        Port = port;
    }

    /// <summary>Copies <paramref name="address"/> (IPv4 or IPv6).</summary>
    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public MptcpAddress(IPAddress address, ushort port = 0)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> b = stackalloc byte[16];
        b.Clear();
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) || !address.TryWriteBytes(b, out _))
            throw new ArgumentException($"not an IPv4 or IPv6 address: {address}", nameof(address));
        Family = address.AddressFamily;
        _high = BinaryPrimitives.ReadUInt64BigEndian(b);
        _low = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        Port = port;
    }

    /// <summary>Builds an address from its network-order bytes (4 for IPv4, 16 for IPv6).</summary>
    public static MptcpAddress FromBytes(ReadOnlySpan<byte> networkOrder, ushort port = 0)
    {
        Span<byte> b = stackalloc byte[16];
        b.Clear();
        AddressFamily family = networkOrder.Length switch
        {
            4 => AddressFamily.InterNetwork,
            16 => AddressFamily.InterNetworkV6,
            _ => throw new ArgumentException($"an IP address has 4 or 16 bytes, not {networkOrder.Length}", nameof(networkOrder)),
        };
        networkOrder.CopyTo(b);
        return new MptcpAddress(family, BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), port);
    }

    public static MptcpAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new MptcpAddress(endPoint.Address, checked((ushort)endPoint.Port));
    }

    /// <summary>InterNetwork, InterNetworkV6, or Unspecified for <c>default</c>.</summary>
    public AddressFamily Family { get; }

    /// <summary>The port as a number (0: none).</summary>
    public ushort Port { get; }

    public bool IsNone => Family == AddressFamily.Unspecified;

    public bool IsIPv4 => Family == AddressFamily.InterNetwork;

    public bool IsIPv6 => Family == AddressFamily.InterNetworkV6;

    /// <summary>The number of address bytes: 4, 16, or 0 for <c>default</c>.</summary>
    public int ByteLength => Family switch
    {
        AddressFamily.InterNetwork => 4,
        AddressFamily.InterNetworkV6 => 16,
        _ => 0,
    };

    /// <summary>0.0.0.0, :: or 255.255.255.255: not an address a socket can be bound to for MPTCP (listener manager rule, INVENTORY d.2).</summary>
    public bool IsUnboundAddress =>
        (IsIPv4 && (_high >> 32 == 0 || _high >> 32 == 0xFFFF_FFFF)) || (IsIPv6 && _high == 0 && _low == 0);

    /// <summary>Writes the network-order address bytes; returns how many (0 for <c>default</c>).</summary>
    public int WriteBytes(Span<byte> destination)
    {
        int n = ByteLength;
        if (n == 0)
            return 0;
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, _high);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], _low);
        b[..n].CopyTo(destination);
        return n;
    }

    /// <summary>The same address with another port.</summary>
    public MptcpAddress WithPort(ushort port) => new(Family, _high, _low, port);

    /// <summary>Allocates an <see cref="IPAddress"/>; null for <c>default</c>.</summary>
    public IPAddress? ToIPAddress()
    {
        int n = ByteLength;
        if (n == 0)
            return null;
        Span<byte> b = stackalloc byte[16];
        WriteBytes(b);
        return new IPAddress(b[..n]);
    }

    public IPEndPoint? ToEndPoint() => ToIPAddress() is { } ip ? new IPEndPoint(ip, Port) : null;

    /// <summary>Same family and address bytes, whatever the ports.</summary>
    public bool SameAddress(in MptcpAddress other) => Family == other.Family && _high == other._high && _low == other._low;

    /// <summary>Same address as <paramref name="address"/>, compared without allocating.</summary>
    public bool SameAddress(IPAddress? address)
    {
        if (address is null || address.AddressFamily != Family)
            return false;
        Span<byte> b = stackalloc byte[16];
        b.Clear();
        if (!address.TryWriteBytes(b, out _))
            return false;
        return _high == BinaryPrimitives.ReadUInt64BigEndian(b) && _low == BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
    }

    public bool Equals(MptcpAddress other) => SameAddress(other) && Port == other.Port;

    public override bool Equals(object? obj) => obj is MptcpAddress a && Equals(a);

    public override int GetHashCode() => HashCode.Combine(Family, _high, _low, Port);

    public static bool operator ==(MptcpAddress left, MptcpAddress right) => left.Equals(right);

    public static bool operator !=(MptcpAddress left, MptcpAddress right) => !left.Equals(right);

    /// <summary>"10.0.0.1", "10.0.0.1:5201", "fd11::1" or "[fd11::1]:5201"; "none" for <c>default</c>.</summary>
    public override string ToString()
    {
        IPAddress? ip = ToIPAddress();
        if (ip is null)
            return "none";
        if (Port == 0)
            return ip.ToString();
        string port = Port.ToString(CultureInfo.InvariantCulture);
        return IsIPv6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
    }
}
