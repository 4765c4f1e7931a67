namespace Tributary.Flows.Applications.Firewall;

/// <summary>
/// One line of a rules file: <c>ACTION SRC[/len] DST[/len] [sport:N] [dport:N]</c>, SRC matched against the first
/// SYN's source (the client), DST against its destination (the server). Addresses are held as the engine holds them
/// (<see cref="PacketView.Source"/>: IPv4 in the low 32 bits), already masked; a prefix length of 0 (address
/// <c>0.0.0.0</c> or <c>::</c>, or <c>/0</c>) and a port of 0 match anything. A rule matches only packets of its own
/// address family.
/// </summary>
public sealed class FirewallRule
{
    private readonly UInt128 _sourceMask;
    private readonly UInt128 _destinationMask;

    public FirewallRule(FirewallAction action, int ipVersion, UInt128 source, int sourcePrefixLength, UInt128 destination,
        int destinationPrefixLength, ushort sourcePort = 0, ushort destinationPort = 0)
    {
        if (ipVersion is not (4 or 6))
            throw new ArgumentOutOfRangeException(nameof(ipVersion), ipVersion, "4 or 6");
        int width = ipVersion == 4 ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)sourcePrefixLength, (uint)width, nameof(sourcePrefixLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)destinationPrefixLength, (uint)width, nameof(destinationPrefixLength));
        Action = action;
        IpVersion = ipVersion;
        _sourceMask = Mask(ipVersion, sourcePrefixLength);
        _destinationMask = Mask(ipVersion, destinationPrefixLength);
        // mOS applies the mask to the rule's address when it parses it; an address that masks to 0 is its wildcard.
        Source = source & _sourceMask;
        Destination = destination & _destinationMask;
        SourcePrefixLength = Source == 0 ? 0 : sourcePrefixLength;
        DestinationPrefixLength = Destination == 0 ? 0 : destinationPrefixLength;
        if (Source == 0)
            _sourceMask = 0;
        if (Destination == 0)
            _destinationMask = 0;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
    }

    public FirewallAction Action { get; }

    /// <summary>4 or 6: the only family the rule matches.</summary>
    public int IpVersion { get; }

    public UInt128 Source { get; }
    public int SourcePrefixLength { get; }
    public UInt128 Destination { get; }
    public int DestinationPrefixLength { get; }

    /// <summary>0 = any.</summary>
    public ushort SourcePort { get; }

    /// <summary>0 = any.</summary>
    public ushort DestinationPort { get; }

    /// <summary>The 1-based line of the rules file the rule came from (0 when built in code).</summary>
    public int LineNumber { get; init; }

    /// <summary>The source as the table prints it: the masked address, with <c>/len</c> when the file gave one.</summary>
    public string SourceText { get; init; } = "";

    /// <summary>The destination as the table prints it.</summary>
    public string DestinationText { get; init; } = "";

    /// <summary>Whether a SYN from <paramref name="source"/>:<paramref name="sourcePort"/> to <paramref name="destination"/>:<paramref name="destinationPort"/> hits this rule.</summary>
    public bool Matches(int ipVersion, UInt128 source, UInt128 destination, ushort sourcePort, ushort destinationPort) =>
        ipVersion == IpVersion
        && (source & _sourceMask) == Source
        && (destination & _destinationMask) == Destination
        && (SourcePort == 0 || SourcePort == sourcePort)
        && (DestinationPort == 0 || DestinationPort == destinationPort);

    /// <summary>The network mask of a prefix; written out for 0 because a shift by the full width is no shift (mOS's <c>/0</c> quirk).</summary>
    internal static UInt128 Mask(int ipVersion, int prefixLength)
    {
        if (prefixLength == 0)
            return 0;
        return ipVersion == 4
            ? (UInt128)(uint.MaxValue << (32 - prefixLength))
            : UInt128.MaxValue << (128 - prefixLength);
    }
}
