namespace Tributary.Links.Interop;

// <linux/if_link.h>: the link attributes the monitor reads.
internal static class IfLink
{
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_EXT_MASK = 29;
}
