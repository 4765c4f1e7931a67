namespace Tributary.Links;

/// <summary>
/// An address's <c>IFA_F_*</c> flags as the kernel reports them (<c>linux/if_addr.h</c>: <c>ifa_flags</c>, or
/// the <c>IFA_FLAGS</c> attribute when present, which carries the bits past the first eight). The same bit
/// 0x01 means <c>IFA_F_TEMPORARY</c> (a privacy address, RFC 8981) on IPv6 and <c>IFA_F_SECONDARY</c> on IPv4.
/// </summary>
[Flags]
public enum AddressFlags : uint
{
    None = 0,

    /// <summary>IPv6: a temporary (privacy) address (<c>IFA_F_TEMPORARY</c>); IPv4: a secondary address (<c>IFA_F_SECONDARY</c>).</summary>
    Temporary = Interop.IfAddr.IFA_F_TEMPORARY,

    /// <summary>Added without duplicate address detection (<c>IFA_F_NODAD</c>).</summary>
    NoDad = Interop.IfAddr.IFA_F_NODAD,

    /// <summary>Optimistic DAD (RFC 4429): usable while DAD runs (<c>IFA_F_OPTIMISTIC</c>).</summary>
    Optimistic = Interop.IfAddr.IFA_F_OPTIMISTIC,

    /// <summary>Duplicate address detection found the address in use elsewhere (<c>IFA_F_DADFAILED</c>).</summary>
    DadFailed = Interop.IfAddr.IFA_F_DADFAILED,

    /// <summary>Mobile IPv6 home address (<c>IFA_F_HOMEADDRESS</c>).</summary>
    HomeAddress = Interop.IfAddr.IFA_F_HOMEADDRESS,

    /// <summary>The preferred lifetime ran out: kept for existing connections, not chosen for new ones (<c>IFA_F_DEPRECATED</c>).</summary>
    Deprecated = Interop.IfAddr.IFA_F_DEPRECATED,

    /// <summary>Duplicate address detection still runs; the address cannot be bound yet (<c>IFA_F_TENTATIVE</c>).</summary>
    Tentative = Interop.IfAddr.IFA_F_TENTATIVE,

    /// <summary>Configured statically, no lifetime (<c>IFA_F_PERMANENT</c>).</summary>
    Permanent = Interop.IfAddr.IFA_F_PERMANENT,

    /// <summary>The kernel manages temporary addresses from this one's prefix (<c>IFA_F_MANAGETEMPADDR</c>).</summary>
    ManageTemporaryAddress = Interop.IfAddr.IFA_F_MANAGETEMPADDR,

    /// <summary>No prefix route was added for it (<c>IFA_F_NOPREFIXROUTE</c>).</summary>
    NoPrefixRoute = Interop.IfAddr.IFA_F_NOPREFIXROUTE,

    /// <summary>A multicast address joined automatically (<c>IFA_F_MCAUTOJOIN</c>).</summary>
    MulticastAutoJoin = Interop.IfAddr.IFA_F_MCAUTOJOIN,

    /// <summary>A stable-privacy (RFC 7217) address (<c>IFA_F_STABLE_PRIVACY</c>).</summary>
    StablePrivacy = Interop.IfAddr.IFA_F_STABLE_PRIVACY,
}
