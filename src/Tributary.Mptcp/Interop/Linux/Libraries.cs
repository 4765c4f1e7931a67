namespace Tributary.Mptcp.Interop;

/// <summary>Versioned sonames of the native libraries this project calls.</summary>
internal static class Libraries
{
    public const string Libc = "libc.so.6";
}
