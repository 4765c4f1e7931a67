using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Links.Internal;

/// <summary>An IP address as a hashable value (family + 16 bytes): the identity mptcpd uses (family + IP only).</summary>
internal readonly record struct AddressKey(byte Family, ulong High, ulong Low)
{
    public static bool TryCreate(byte family, ReadOnlySpan<byte> bytes, out AddressKey key)
    {
        if (family == Interop.Rtnetlink.AF_INET && bytes.Length >= 4)
        {
            key = new AddressKey(family, 0, BinaryPrimitives.ReadUInt32BigEndian(bytes));
            return true;
        }
        if (family == Interop.Rtnetlink.AF_INET6 && bytes.Length >= 16)
        {
            key = new AddressKey(family, BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
            return true;
        }
        key = default;
        return false;
    }

    public static AddressKey From(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        byte family = address.AddressFamily == AddressFamily.InterNetwork ? Interop.Rtnetlink.AF_INET : Interop.Rtnetlink.AF_INET6;
        TryCreate(family, b[..n], out AddressKey key);
        return key;
    }

    public IPAddress ToIPAddress()
    {
        if (Family == Interop.Rtnetlink.AF_INET)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)Low);
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(v6, High);
        BinaryPrimitives.WriteUInt64BigEndian(v6[8..], Low);
        return new IPAddress(v6);
    }
}
