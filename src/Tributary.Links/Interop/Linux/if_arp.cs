namespace Tributary.Links.Interop;

// <linux/if_arp.h>: the ARPHRD_* values interface types are reported with.
internal static class IfArp
{
    public const ushort ARPHRD_ETHER = 1;
    public const ushort ARPHRD_LOOPBACK = 772;
}
