namespace Tributary.Mptcp;

/// <summary>
/// The in-kernel path manager's per-connection limits (<c>ip mptcp limits</c>): additional subflows,
/// and ADD_ADDR announcements accepted from the peer. The kernel caps both at 8.
/// </summary>
public readonly record struct MptcpLimits(uint Subflows, uint AddAddrAccepted)
{
    /// <summary>The kernel's maximum for each limit (MPTCP_PM_ADDR_MAX in net/mptcp/pm_kernel.c).</summary>
    public const uint Maximum = 8;

    public override string ToString() => $"add_addr_accepted {AddAddrAccepted} subflows {Subflows}";
}
