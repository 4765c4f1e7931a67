namespace Tributary.Mptcp;

/// <summary>
/// A subflow's MPTCP state bits (MPTCP_SUBFLOW_FLAG_*, &lt;linux/mptcp.h&gt;) as sock_diag reports them
/// in MPTCP_SUBFLOW_ATTR_FLAGS (<c>ss -ti</c> prints them as letters: M m J j B b e c v).
/// </summary>
[Flags]
public enum MptcpSubflowFlags : uint
{
    None = 0,

    /// <summary>M: the subflow is MP_CAPABLE (the connection's initial subflow).</summary>
    MpCapableRemote = 1 << 0,

    /// <summary>m: this side asked for MP_CAPABLE (set on the client, the active opener, only).</summary>
    MpCapableLocal = 1 << 1,

    /// <summary>J: the subflow joined with MP_JOIN.</summary>
    JoinRemote = 1 << 2,

    /// <summary>j: this side sent the MP_JOIN SYN (the subflow's active opener).</summary>
    JoinLocal = 1 << 3,

    /// <summary>B: the subflow is a backup (the bit the kernel reports in its subflow events).</summary>
    BackupRemote = 1 << 4,

    /// <summary>b: this side asked for backup.</summary>
    BackupLocal = 1 << 5,

    /// <summary>e: the MPTCP handshake of this subflow is complete.</summary>
    FullyEstablished = 1 << 6,

    /// <summary>c: the TCP connection is up.</summary>
    Connected = 1 << 7,

    /// <summary>v: a DSS mapping is in use.</summary>
    MapValid = 1 << 8,
}
