namespace Tributary.Mptcp.Daemon;

/// <summary>
/// The values of Tributary's interface options and config keys (extensions of mptcpd's, USERS.md A:
/// mptcpd#292, #280), in mptcpd's comma-list style:
/// <c>interfaces</c> / <c>exclude-interfaces</c> = <c>NAME[,NAME...]</c>, each a name or a glob
/// (<c>*</c>, <c>?</c>: <c>wwan*</c>); <c>interface-flags</c> = <c>NAME:FLAG[+FLAG...][,NAME:FLAG...]</c>
/// with addr-flags' tokens (subflow, signal, backup, fullmesh, laminar), e.g. <c>wwan*:subflow+backup</c>.
/// Unlike addr-flags, whose unknown tokens mptcpd only warns about, these are checked as a whole: a bad
/// value is an error (exit 64 on the command line; ignored with a warning in the config file), because a
/// half-understood interface list would put endpoints where the administrator said not to.
/// </summary>
public static class MptcpdInterfaceOptions
{
    /// <summary>Parses an interface list; null with <paramref name="error"/> when it is empty or an item is not a valid name or glob.</summary>
    public static IReadOnlyList<InterfacePattern>? ParseInterfaceList(string value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        error = null;
        var list = new List<InterfacePattern>();
        foreach (string item in MptcpdCommandLine.SplitList(value))
        {
            if (InterfacePattern.TryParse(item, out error) is not { } pattern)
                return null;
            list.Add(pattern);
        }
        if (list.Count == 0)
        {
            error = "no interface named";
            return null;
        }
        return list;
    }

    /// <summary>Parses per-interface endpoint flags; null with <paramref name="error"/> on the first bad item.</summary>
    public static IReadOnlyList<InterfaceEndpointFlags>? ParseInterfaceFlags(string value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        error = null;
        var list = new List<InterfaceEndpointFlags>();
        foreach (string item in MptcpdCommandLine.SplitList(value))
        {
            int colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                error = $"\"{item}\" is not INTERFACE:FLAG[+FLAG...]";
                return null;
            }
            if (InterfacePattern.TryParse(item[..colon], out error) is not { } pattern)
                return null;
            string flagText = item[(colon + 1)..];
            if (flagText.Length == 0)
            {
                error = $"no flags for {pattern} in \"{item}\"";
                return null;
            }
            MptcpEndpointFlags flags = MptcpdFlags.ParseAddressFlags(flagText.Replace('+', ','), out string? warning);
            if (warning is not null)
            {
                error = $"{warning.Replace(',', '+')} in \"{item}\"";
                return null;
            }
            list.Add(new InterfaceEndpointFlags(pattern, flags));
        }
        if (list.Count == 0)
        {
            error = "no interface named";
            return null;
        }
        return list;
    }
}
