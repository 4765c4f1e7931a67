namespace Tributary.Capture.Decoding;

/// <summary>Address-family values in BSD loopback (LINKTYPE_NULL / LINKTYPE_LOOP) headers.</summary>
public static class LoopbackFamilies
{
    public const uint Inet = 2;
    public const uint Inet6Linux = 10;
    public const uint Inet6NetBsdOpenBsd = 24;
    public const uint Inet6FreeBsd = 28;
    public const uint Inet6Darwin = 30;
}
