namespace Tributary.Capture.Decoding;

/// <summary>PPP protocol field values (RFC 1661, IANA PPP DLL protocol numbers).</summary>
public static class PppProtocols
{
    public const ushort IPv4 = 0x0021;
    public const ushort IPv6 = 0x0057;
    public const ushort MplsUnicast = 0x0281;
    public const ushort MplsMulticast = 0x0283;
}
