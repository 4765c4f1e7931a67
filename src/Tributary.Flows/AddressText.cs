using System.Globalization;
using System.Net;

namespace Tributary.Flows;

/// <summary>Formats the engine's 128-bit address fields as text (dotted quad, RFC 5952 for IPv6).</summary>
public static class AddressText
{
    public static string Format(UInt128 address, int ipVersion)
    {
        if (ipVersion == 4)
        {
            uint a = (uint)address;
            return string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}");
        }
        Span<byte> bytes = stackalloc byte[16];
        ulong hi = (ulong)(address >> 64), lo = (ulong)address;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, hi);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], lo);
        return new IPAddress(bytes).ToString(); // .NET formats IPv6 per RFC 5952
    }
}
