using System.Runtime.InteropServices;

namespace Tributary.Mptcp.Interop;

// <linux/inet_diag.h> and <linux/sock_diag.h>: listing the kernel's MPTCP and TCP sockets over
// NETLINK_SOCK_DIAG (what `ss -M` and `ss -ti` read). Names and layouts kept as in the headers.
internal static class InetDiag
{
    // <linux/sock_diag.h>
    public const ushort SOCK_DIAG_BY_FAMILY = 20;

    // Request attributes (after struct inet_diag_req_v2). sdiag_protocol is a u8, so IPPROTO_MPTCP
    // (262) travels in INET_DIAG_REQ_PROTOCOL (u32).
    public const ushort INET_DIAG_REQ_PROTOCOL = 3;

    // Reply attributes (after struct inet_diag_msg).
    public const ushort INET_DIAG_INFO = 2;       // struct mptcp_info for MPTCP sockets
    public const ushort INET_DIAG_SHUTDOWN = 8;   // u8 sk_shutdown (RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2)
    public const ushort INET_DIAG_ULP_INFO = 19;  // nested INET_ULP_INFO_*

    public const ushort INET_ULP_INFO_NAME = 1;
    public const ushort INET_ULP_INFO_MPTCP = 3;  // nested MPTCP_SUBFLOW_ATTR_*

    public const byte SHUTDOWN_MASK = 3;

    // <net/tcp_states.h>: sk_state, also of MPTCP sockets; idiag_states is a bit mask of them.
    public const byte TCP_ESTABLISHED = 1;
    public const byte TCP_SYN_SENT = 2;
    public const byte TCP_SYN_RECV = 3;
    public const byte TCP_CLOSE = 7;
    public const byte TCP_CLOSE_WAIT = 8;
    public const byte TCP_LISTEN = 10;

    public const int IPPROTO_TCP = 6;
}

/// <summary>struct inet_diag_sockid: ports and addresses in network byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct inet_diag_sockid
{
    public ushort idiag_sport;
    public ushort idiag_dport;
    public fixed uint idiag_src[4];
    public fixed uint idiag_dst[4];
    public uint idiag_if;
    public fixed uint idiag_cookie[2];
}

/// <summary>struct inet_diag_req_v2: a SOCK_DIAG_BY_FAMILY dump request.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct inet_diag_req_v2
{
    public byte sdiag_family;
    public byte sdiag_protocol;
    public byte idiag_ext;
    public byte pad;
    public uint idiag_states;
    public inet_diag_sockid id;
}

/// <summary>struct inet_diag_msg: one socket of a dump reply.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct inet_diag_msg
{
    public byte idiag_family;
    public byte idiag_state;
    public byte idiag_timer;
    public byte idiag_retrans;
    public inet_diag_sockid id;
    public uint idiag_expires;
    public uint idiag_rqueue;
    public uint idiag_wqueue;
    public uint idiag_uid;
    public uint idiag_inode;
}
