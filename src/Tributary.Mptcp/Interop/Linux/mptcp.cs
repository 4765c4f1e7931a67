using System.Runtime.InteropServices;

namespace Tributary.Mptcp.Interop;

// <linux/mptcp.h> (reference/kernel/mptcp.h): endpoint and event flags, the MPTCP socket options.
internal static class Mptcp
{
    public const int IPPROTO_MPTCP = 262;
    public const int SOL_MPTCP = 284;

    public const int MPTCP_INFO = 1;
    public const int MPTCP_TCPINFO = 2;
    public const int MPTCP_SUBFLOW_ADDRS = 3;
    public const int MPTCP_FULL_INFO = 4;

    public const uint MPTCP_PM_ADDR_FLAG_SIGNAL = 1 << 0;
    public const uint MPTCP_PM_ADDR_FLAG_SUBFLOW = 1 << 1;
    public const uint MPTCP_PM_ADDR_FLAG_BACKUP = 1 << 2;
    public const uint MPTCP_PM_ADDR_FLAG_FULLMESH = 1 << 3;
    public const uint MPTCP_PM_ADDR_FLAG_IMPLICIT = 1 << 4;
    // Linux 6.18 (not yet in the reference header): endpoint used only towards ADD_ADDR-announced addresses.
    public const uint MPTCP_PM_ADDR_FLAG_LAMINAR = 1 << 5;

    public const ushort MPTCP_PM_EV_FLAG_DENY_JOIN_ID0 = 1 << 0;
    public const ushort MPTCP_PM_EV_FLAG_SERVER_SIDE = 1 << 1;

    public const uint MPTCP_INFO_FLAG_FALLBACK = 1 << 0;
    public const uint MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED = 1 << 1;
}

/// <summary><c>struct mptcp_info</c> (getsockopt SOL_MPTCP/MPTCP_INFO); newer kernels may append fields.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct mptcp_info
{
    public byte mptcpi_subflows;
    public byte mptcpi_add_addr_signal;
    public byte mptcpi_add_addr_accepted;
    public byte mptcpi_subflows_max;
    public byte mptcpi_add_addr_signal_max;
    public byte mptcpi_add_addr_accepted_max;
    public uint mptcpi_flags;
    public uint mptcpi_token;
    public ulong mptcpi_write_seq;
    public ulong mptcpi_snd_una;
    public ulong mptcpi_rcv_nxt;
    public byte mptcpi_local_addr_used;
    public byte mptcpi_local_addr_max;
    public byte mptcpi_csum_enabled;
    public uint mptcpi_retransmits;
    public ulong mptcpi_bytes_retrans;
    public ulong mptcpi_bytes_sent;
    public ulong mptcpi_bytes_received;
    public ulong mptcpi_bytes_acked;
    public byte mptcpi_subflows_total;
    public fixed byte reserved[3];
    public uint mptcpi_last_data_sent;
    public uint mptcpi_last_data_recv;
    public uint mptcpi_last_ack_recv;
}
