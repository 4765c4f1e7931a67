using System.Runtime.InteropServices;

namespace Tributary.Links.Interop;

// <linux/if_addr.h>
internal static class IfAddr
{
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_FLAGS = 8;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}
