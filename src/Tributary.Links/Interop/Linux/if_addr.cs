using System.Runtime.InteropServices;

namespace Tributary.Links.Interop;

// <linux/if_addr.h>
internal static class IfAddr
{
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_FLAGS = 8;

    // ifa_flags, and the IFA_FLAGS u32 that carries the bits past the first eight.
    public const uint IFA_F_SECONDARY = 0x01;
    public const uint IFA_F_TEMPORARY = IFA_F_SECONDARY;
    public const uint IFA_F_NODAD = 0x02;
    public const uint IFA_F_OPTIMISTIC = 0x04;
    public const uint IFA_F_DADFAILED = 0x08;
    public const uint IFA_F_HOMEADDRESS = 0x10;
    public const uint IFA_F_DEPRECATED = 0x20;
    public const uint IFA_F_TENTATIVE = 0x40;
    public const uint IFA_F_PERMANENT = 0x80;
    public const uint IFA_F_MANAGETEMPADDR = 0x100;
    public const uint IFA_F_NOPREFIXROUTE = 0x200;
    public const uint IFA_F_MCAUTOJOIN = 0x400;
    public const uint IFA_F_STABLE_PRIVACY = 0x800;
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
