using System.Runtime.InteropServices;

namespace Tributary.Links.Interop;

// <linux/rtnetlink.h>: message types, multicast groups, route attributes and the fixed headers.
internal static class Rtnetlink
{
    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;

    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_DELROUTE = 25;
    public const ushort RTM_GETROUTE = 26;

    // enum rtnetlink_groups (group numbers for NETLINK_ADD_MEMBERSHIP)
    public const uint RTNLGRP_LINK = 1;
    public const uint RTNLGRP_IPV4_IFADDR = 5;
    public const uint RTNLGRP_IPV6_IFADDR = 9;

    // enum rtattr_type_t
    public const ushort RTA_DST = 1;
    public const ushort RTA_SRC = 2;
    public const ushort RTA_IIF = 3;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_TABLE = 15;

    public const uint RTM_F_LOOKUP_TABLE = 0x1000;
    public const uint RTM_F_FIB_MATCH = 0x2000;

    // enum rt_scope_t
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_SITE = 200;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_HOST = 254;

    public const uint RTEXT_FILTER_SKIP_STATS = 1 << 3;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

[StructLayout(LayoutKind.Sequential)]
internal struct rtmsg
{
    public byte rtm_family;
    public byte rtm_dst_len;
    public byte rtm_src_len;
    public byte rtm_tos;
    public byte rtm_table;
    public byte rtm_protocol;
    public byte rtm_scope;
    public byte rtm_type;
    public uint rtm_flags;
}
