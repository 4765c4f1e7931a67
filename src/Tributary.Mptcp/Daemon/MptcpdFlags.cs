using Tributary.Links;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// mptcpd's flag lists (INVENTORY f.1): comma-separated tokens that must match exactly; parsing stops at
/// the first unknown token with the warning "unknown flag REST" (REST is the rest of the string, so
/// "existing, skip_link_local" warns about " skip_link_local" and keeps "existing"). Extensions: "laminar"
/// (Linux 6.18) in address flags; "skip_ula", "skip_temporary", "skip_deprecated" and "skip_tentative"
/// (Tributary's address-selection policy, <see cref="NotifyFlags"/>) in notify flags.
/// </summary>
public static class MptcpdFlags
{
    private static readonly (string Name, MptcpEndpointFlags Flag)[] AddressTokens =
    [
        ("subflow", MptcpEndpointFlags.Subflow),
        ("signal", MptcpEndpointFlags.Signal),
        ("backup", MptcpEndpointFlags.Backup),
        ("fullmesh", MptcpEndpointFlags.Fullmesh),
        ("laminar", MptcpEndpointFlags.Laminar),
    ];

    private static readonly (string Name, NotifyFlags Flag)[] NotifyTokens =
    [
        ("existing", NotifyFlags.Existing),
        ("skip_link_local", NotifyFlags.SkipLinkLocal),
        ("skip_loopback", NotifyFlags.SkipLoopback),
        ("check_route", NotifyFlags.CheckRoute),
        ("skip_ula", NotifyFlags.SkipUla),
        ("skip_temporary", NotifyFlags.SkipTemporary),
        ("skip_deprecated", NotifyFlags.SkipDeprecated),
        ("skip_tentative", NotifyFlags.SkipTentative),
    ];

    public static MptcpEndpointFlags ParseAddressFlags(string text, out string? warning) =>
        (MptcpEndpointFlags)Parse(text, AddressTokens.Select(t => (t.Name, (uint)t.Flag)), out warning);

    public static NotifyFlags ParseNotifyFlags(string text, out string? warning) =>
        (NotifyFlags)Parse(text, NotifyTokens.Select(t => (t.Name, (uint)t.Flag)), out warning);

    public static string Format(MptcpEndpointFlags flags) =>
        string.Join(',', AddressTokens.Where(t => (flags & t.Flag) != 0).Select(t => t.Name));

    public static string Format(NotifyFlags flags) =>
        string.Join(',', NotifyTokens.Where(t => (flags & t.Flag) != 0).Select(t => t.Name));

    private static uint Parse(string text, IEnumerable<(string Name, uint Flag)> tokens, out string? warning)
    {
        warning = null;
        var list = tokens.ToList();
        uint flags = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            bool matched = false;
            foreach ((string name, uint flag) in list)
            {
                if (string.CompareOrdinal(text, pos, name, 0, name.Length) != 0)
                    continue;
                int end = pos + name.Length;
                if (end == text.Length || text[end] == ',')
                {
                    flags |= flag;
                    pos = end == text.Length ? end : end + 1;
                    matched = true;
                    break;
                }
            }
            if (!matched)
            {
                warning = $"unknown flag {text[pos..]}";
                break;
            }
        }
        return flags;
    }
}
