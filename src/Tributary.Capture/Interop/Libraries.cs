namespace Tributary.Capture.Interop;

/// <summary>Versioned sonames of the native libraries this project calls.</summary>
internal static class Libraries
{
    public const string Libc = "libc.so.6";
    public const string Libpcap = "libpcap.so.0.8";
}
