namespace Tributary.Mptcp;

/// <summary>
/// Flags of an in-kernel path-manager endpoint (MPTCP_PM_ADDR_FLAG_*, &lt;linux/mptcp.h&gt;). The same
/// bits are mptcpd's <c>addr-flags</c>.
/// </summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the domain name of this bit set
public enum MptcpEndpointFlags : uint
#pragma warning restore CA1711
{
    None = 0,

    /// <summary>Announce the address to peers (ADD_ADDR): servers.</summary>
    Signal = 1,

    /// <summary>Open subflows from this address: clients.</summary>
    Subflow = 2,

    /// <summary>Subflows through this address are backups (MP_PRIO).</summary>
    Backup = 4,

    /// <summary>A subflow to every announced peer address (not with Signal).</summary>
    Fullmesh = 8,

    /// <summary>Set by the kernel for addresses used by a peer-initiated subflow; never set by users.</summary>
    Implicit = 16,

    /// <summary>Linux 6.18: used only for subflows towards addresses the peer announced.</summary>
    Laminar = 32,
}
