using System.Runtime.InteropServices;

namespace Tributary.Netlink.Interop;

// <linux/genetlink.h>: the controller family used to resolve generic netlink families.
internal static class GenNetlink
{
    public const ushort GENL_ID_CTRL = 0x10;
    public const int GENL_HDRLEN = 4;
    public const int GENL_NAMSIZ = 16;

    public const byte CTRL_CMD_NEWFAMILY = 1;
    public const byte CTRL_CMD_DELFAMILY = 2;
    public const byte CTRL_CMD_GETFAMILY = 3;
    public const byte CTRL_CMD_NEWMCAST_GRP = 7;
    public const byte CTRL_CMD_DELMCAST_GRP = 8;

    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;
    public const ushort CTRL_ATTR_VERSION = 3;
    public const ushort CTRL_ATTR_HDRSIZE = 4;
    public const ushort CTRL_ATTR_MAXATTR = 5;
    public const ushort CTRL_ATTR_OPS = 6;
    public const ushort CTRL_ATTR_MCAST_GROUPS = 7;

    public const ushort CTRL_ATTR_OP_ID = 1;
    public const ushort CTRL_ATTR_OP_FLAGS = 2;

    public const ushort CTRL_ATTR_MCAST_GRP_NAME = 1;
    public const ushort CTRL_ATTR_MCAST_GRP_ID = 2;

    /// <summary>The controller's multicast group "notify" (family appeared/vanished).</summary>
    public const string CTRL_MCAST_NOTIFY = "notify";
}

[StructLayout(LayoutKind.Sequential)]
internal struct genlmsghdr
{
    public byte cmd;
    public byte version;
    public ushort reserved;
}
