namespace Tributary.Mptcp.Interop;

// <linux/mptcp_pm.h> (reference/kernel/mptcp_pm.h, the YNL-generated UAPI of Linux 6.18): the generic
// netlink family "mptcp_pm", its commands, attribute spaces and events. Names kept verbatim.
internal static class MptcpPm
{
    public const string MPTCP_PM_NAME = "mptcp_pm";
    public const byte MPTCP_PM_VER = 1;

    // <linux/mptcp.h>: multicast groups of the family.
    public const string MPTCP_PM_CMD_GRP_NAME = "mptcp_pm_cmds";
    public const string MPTCP_PM_EV_GRP_NAME = "mptcp_pm_events";

    // Commands.
    public const byte MPTCP_PM_CMD_ADD_ADDR = 1;
    public const byte MPTCP_PM_CMD_DEL_ADDR = 2;
    public const byte MPTCP_PM_CMD_GET_ADDR = 3;
    public const byte MPTCP_PM_CMD_FLUSH_ADDRS = 4;
    public const byte MPTCP_PM_CMD_SET_LIMITS = 5;
    public const byte MPTCP_PM_CMD_GET_LIMITS = 6;
    public const byte MPTCP_PM_CMD_SET_FLAGS = 7;
    public const byte MPTCP_PM_CMD_ANNOUNCE = 8;
    public const byte MPTCP_PM_CMD_REMOVE = 9;
    public const byte MPTCP_PM_CMD_SUBFLOW_CREATE = 10;
    public const byte MPTCP_PM_CMD_SUBFLOW_DESTROY = 11;

    // Top-level command attributes (MPTCP_PM_ATTR_*).
    public const ushort MPTCP_PM_ATTR_ADDR = 1;          // nested MPTCP_PM_ADDR_ATTR_*
    public const ushort MPTCP_PM_ATTR_RCV_ADD_ADDRS = 2; // u32
    public const ushort MPTCP_PM_ATTR_SUBFLOWS = 3;      // u32
    public const ushort MPTCP_PM_ATTR_TOKEN = 4;         // u32, host order
    public const ushort MPTCP_PM_ATTR_LOC_ID = 5;        // u8
    public const ushort MPTCP_PM_ATTR_ADDR_REMOTE = 6;   // nested MPTCP_PM_ADDR_ATTR_*

    // Address attributes nested in MPTCP_PM_ATTR_ADDR / _ADDR_REMOTE (MPTCP_PM_ADDR_ATTR_*).
    public const ushort MPTCP_PM_ADDR_ATTR_FAMILY = 1;   // u16, host order
    public const ushort MPTCP_PM_ADDR_ATTR_ID = 2;       // u8
    public const ushort MPTCP_PM_ADDR_ATTR_ADDR4 = 3;    // 4 bytes, network order
    public const ushort MPTCP_PM_ADDR_ATTR_ADDR6 = 4;    // 16 bytes, network order
    public const ushort MPTCP_PM_ADDR_ATTR_PORT = 5;     // u16, HOST order (unlike the event ports)
    public const ushort MPTCP_PM_ADDR_ATTR_FLAGS = 6;    // u32
    public const ushort MPTCP_PM_ADDR_ATTR_IF_IDX = 7;   // s32

    // Events: the genlmsghdr command of a message on "mptcp_pm_events" (enum mptcp_event_type).
    public const byte MPTCP_EVENT_CREATED = 1;
    public const byte MPTCP_EVENT_ESTABLISHED = 2;
    public const byte MPTCP_EVENT_CLOSED = 3;
    public const byte MPTCP_EVENT_ANNOUNCED = 6;
    public const byte MPTCP_EVENT_REMOVED = 7;
    public const byte MPTCP_EVENT_SUB_ESTABLISHED = 10;
    public const byte MPTCP_EVENT_SUB_CLOSED = 11;
    public const byte MPTCP_EVENT_SUB_PRIORITY = 13;
    public const byte MPTCP_EVENT_LISTENER_CREATED = 15;
    public const byte MPTCP_EVENT_LISTENER_CLOSED = 16;

    // Event attributes (enum mptcp_event_attr).
    public const ushort MPTCP_ATTR_TOKEN = 1;        // u32
    public const ushort MPTCP_ATTR_FAMILY = 2;       // u16
    public const ushort MPTCP_ATTR_LOC_ID = 3;       // u8
    public const ushort MPTCP_ATTR_REM_ID = 4;       // u8
    public const ushort MPTCP_ATTR_SADDR4 = 5;       // be32
    public const ushort MPTCP_ATTR_SADDR6 = 6;       // 16 bytes
    public const ushort MPTCP_ATTR_DADDR4 = 7;       // be32
    public const ushort MPTCP_ATTR_DADDR6 = 8;       // 16 bytes
    public const ushort MPTCP_ATTR_SPORT = 9;        // be16
    public const ushort MPTCP_ATTR_DPORT = 10;       // be16
    public const ushort MPTCP_ATTR_BACKUP = 11;      // u8
    public const ushort MPTCP_ATTR_ERROR = 12;       // u8
    public const ushort MPTCP_ATTR_FLAGS = 13;       // u16
    public const ushort MPTCP_ATTR_TIMEOUT = 14;     // u32
    public const ushort MPTCP_ATTR_IF_IDX = 15;      // s32
    public const ushort MPTCP_ATTR_RESET_REASON = 16; // u32
    public const ushort MPTCP_ATTR_RESET_FLAGS = 17; // u32
    public const ushort MPTCP_ATTR_SERVER_SIDE = 18; // u8

    // Subflow attributes nested in INET_DIAG_ULP_INFO / INET_ULP_INFO_MPTCP of a TCP subflow (enum, mptcp_pm.h).
    public const ushort MPTCP_SUBFLOW_ATTR_TOKEN_REM = 1;   // u32
    public const ushort MPTCP_SUBFLOW_ATTR_TOKEN_LOC = 2;   // u32
    public const ushort MPTCP_SUBFLOW_ATTR_FLAGS = 8;       // u32, MPTCP_SUBFLOW_FLAG_* (mptcp.h)
    public const ushort MPTCP_SUBFLOW_ATTR_ID_REM = 9;      // u8
    public const ushort MPTCP_SUBFLOW_ATTR_ID_LOC = 10;     // u8
}
