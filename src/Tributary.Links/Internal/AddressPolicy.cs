namespace Tributary.Links.Internal;

/// <summary>
/// The skip flags of <see cref="NotifyFlags"/> as one predicate over what an RTM_NEWADDR says about
/// an address (family and IP, scope, <c>IFA_F_*</c> flags). Pure, so the event path, the initial dump
/// and the resync apply exactly the same rule.
/// </summary>
internal static class AddressPolicy
{
    /// <summary>The flags this policy reads (the others do not filter addresses).</summary>
    public const NotifyFlags SkipFlags = NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback | NotifyFlags.SkipUla
        | NotifyFlags.SkipTemporary | NotifyFlags.SkipDeprecated | NotifyFlags.SkipTentative;

    public static bool Passes(NotifyFlags policy, in AddressKey key, byte scope, AddressFlags flags)
    {
        if ((policy & SkipFlags) == 0)
            return true;
        bool v6 = key.Family == Interop.Rtnetlink.AF_INET6;
        if ((policy & NotifyFlags.SkipLinkLocal) != 0 && (scope == Interop.Rtnetlink.RT_SCOPE_LINK || IsLinkLocal(key)))
            return false;
        if ((policy & NotifyFlags.SkipLoopback) != 0 && scope == Interop.Rtnetlink.RT_SCOPE_HOST)
            return false;
        // fc00::/7: the top seven bits are 1111 110.
        if ((policy & NotifyFlags.SkipUla) != 0 && v6 && (key.High >> 57) == 0x7E)
            return false;
        // On IPv4 the same bit is IFA_F_SECONDARY, which says nothing about the address's use.
        if ((policy & NotifyFlags.SkipTemporary) != 0 && v6 && (flags & AddressFlags.Temporary) != 0)
            return false;
        if ((policy & NotifyFlags.SkipDeprecated) != 0 && (flags & AddressFlags.Deprecated) != 0)
            return false;
        if ((policy & NotifyFlags.SkipTentative) != 0
            && ((flags & AddressFlags.DadFailed) != 0
                || (flags & (AddressFlags.Tentative | AddressFlags.Optimistic)) == AddressFlags.Tentative))
            return false;
        return true;
    }

    /// <summary>IPv6 fe80::/10 and IPv4 169.254.0.0/16, by address (the kernel scopes fe80::/10 as link, but not 169.254/16).</summary>
    public static bool IsLinkLocal(in AddressKey key) => key.Family == Interop.Rtnetlink.AF_INET
        ? (key.Low & 0xFFFF0000) == 0xA9FE0000
        : (key.High >> 54) == 0x3FA;
}
