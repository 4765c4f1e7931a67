namespace Tributary.Links;

/// <summary>
/// What the network monitor reports, as mptcpd's notify flags (<c>MPTCPD_NOTIFY_FLAG_*</c>,
/// reference/mptcpd/INVENTORY.md a.3), and Tributary's address-selection extensions after
/// NetworkManager's policy (reference/mptcpd/USERS.md A: mptcpd#262, #281, #283).
/// <para>The skip flags form one policy, applied to every RTM_NEWADDR, to the initial dump and to
/// the resync: an address that fails it is neither reported nor stored. Because an address's flags
/// change in place (DAD completes, the preferred lifetime runs out or is renewed), a known address
/// that comes to fail the policy is reported as <c>delete_address</c>, and one that comes to pass
/// it as <c>new_address</c>.</para>
/// </summary>
[Flags]
public enum NotifyFlags
{
    None = 0,

    /// <summary>Report the addresses found at start (<c>existing</c>); without it they are stored silently.</summary>
    Existing = 1 << 0,

    /// <summary>
    /// Ignore link-local addresses (<c>skip_link_local</c>): those of link scope (IPv6 fe80::/10, IPv4 added
    /// with <c>scope link</c>) and, unlike mptcpd, IPv4 169.254.0.0/16 whatever its scope (RFC 3927 link-local;
    /// <c>ip addr add</c> gives it global scope; NetworkManager excludes it too).
    /// </summary>
    SkipLinkLocal = 1 << 1,

    /// <summary>Ignore addresses of host scope (<c>skip_loopback</c>), e.g. <c>ip addr add … scope host</c>.</summary>
    SkipLoopback = 1 << 2,

    /// <summary>Report a new address only once a default route goes out of its interface (<c>check_route</c>).</summary>
    CheckRoute = 1 << 3,

    /// <summary>Extension: ignore IPv6 unique local addresses, fc00::/7 (<c>skip_ula</c>, RFC 4193).</summary>
    SkipUla = 1 << 4,

    /// <summary>Extension: ignore IPv6 temporary (privacy) addresses, <c>IFA_F_TEMPORARY</c> (<c>skip_temporary</c>, RFC 8981).</summary>
    SkipTemporary = 1 << 5,

    /// <summary>
    /// Extension: ignore deprecated addresses, <c>IFA_F_DEPRECATED</c> (<c>skip_deprecated</c>): their preferred
    /// lifetime ran out (or was 0), so the kernel no longer picks them for new connections. One renewed
    /// (<c>ip addr change … preferred_lft forever</c>, a new router advertisement) is reported again.
    /// </summary>
    SkipDeprecated = 1 << 6,

    /// <summary>
    /// Extension: ignore addresses that cannot be bound yet or ever (<c>skip_tentative</c>): IPv6 addresses
    /// whose duplicate address detection is still running (<c>IFA_F_TENTATIVE</c> without
    /// <c>IFA_F_OPTIMISTIC</c>) or failed (<c>IFA_F_DADFAILED</c>). The address is reported once DAD completes.
    /// </summary>
    SkipTentative = 1 << 7,
}
