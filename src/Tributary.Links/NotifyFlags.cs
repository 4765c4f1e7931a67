namespace Tributary.Links;

/// <summary>
/// What the network monitor reports, as mptcpd's notify flags (<c>MPTCPD_NOTIFY_FLAG_*</c>,
/// reference/mptcpd/INVENTORY.md a.3).
/// </summary>
[Flags]
public enum NotifyFlags
{
    None = 0,

    /// <summary>Report the addresses found at start (<c>existing</c>); without it they are stored silently.</summary>
    Existing = 1 << 0,

    /// <summary>Ignore addresses of link scope (<c>skip_link_local</c>): IPv6 fe80::/10, IPv4 added with <c>scope link</c>.</summary>
    SkipLinkLocal = 1 << 1,

    /// <summary>Ignore addresses of host scope (<c>skip_loopback</c>), e.g. <c>ip addr add … scope host</c>.</summary>
    SkipLoopback = 1 << 2,

    /// <summary>Report a new address only once a default route goes out of its interface (<c>check_route</c>).</summary>
    CheckRoute = 1 << 3,
}
