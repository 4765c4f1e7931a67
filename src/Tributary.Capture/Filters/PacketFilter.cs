namespace Tributary.Capture.Filters;

/// <summary>
/// A tcpdump-syntax filter for packets of any link type: the expression is compiled by libpcap once
/// per link type met (so a pcapng file mixing Ethernet and Linux cooked interfaces is filtered
/// correctly, unlike tcpdump, which stops at the first interface of another type) and run in C#.
/// Not thread-safe (one per reading thread; compilation results are cheap to share via <see cref="GetProgram"/>).
/// </summary>
public sealed class PacketFilter
{
    private LinkType _lastLinkType;
    private BpfProgram? _lastProgram;
    private readonly Dictionary<LinkType, BpfProgram?> _programs = [];
    private readonly Dictionary<LinkType, string> _errors = [];

    private PacketFilter(string expression, int snapLength, bool optimize)
    {
        Expression = expression;
        SnapLength = snapLength;
        Optimize = optimize;
    }

    /// <summary>The expression.</summary>
    public string Expression { get; }

    /// <summary>Snapshot length the programs are compiled with.</summary>
    public int SnapLength { get; }

    /// <summary>Whether libpcap's optimiser runs (tcpdump's default; <c>-O</c> turns it off).</summary>
    public bool Optimize { get; }

    /// <summary>
    /// Link types for which libpcap rejected the expression (e.g. <c>ether host</c> on raw IP), with its
    /// message. Packets of those types never match.
    /// </summary>
    public IReadOnlyDictionary<LinkType, string> LinkTypeErrors => _errors;

    /// <summary>
    /// Compiles <paramref name="expression"/> for <paramref name="primaryLinkType"/> now, so that a bad
    /// expression fails here with libpcap's message (as tcpdump would for that link type); other link
    /// types are compiled when their first packet arrives.
    /// </summary>
    /// <exception cref="FilterException">libpcap's error for the primary link type.</exception>
    public static PacketFilter Compile(string expression, LinkType primaryLinkType = LinkType.Ethernet,
        int snapLength = BpfProgram.DefaultSnapLength, bool optimize = true)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var filter = new PacketFilter(expression, snapLength, optimize);
        BpfProgram program = BpfProgram.Compile(expression, primaryLinkType, snapLength, optimize);
        filter._programs[primaryLinkType] = program;
        filter._lastLinkType = primaryLinkType;
        filter._lastProgram = program;
        return filter;
    }

    /// <summary>True when the filter accepts the packet.</summary>
    public bool Matches(in Packet packet) => Matches(packet.Data, packet.OriginalLength, packet.LinkType);

    /// <summary>True when the filter accepts a frame of <paramref name="linkType"/> whose wire length is <paramref name="originalLength"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> frame, int originalLength, LinkType linkType)
    {
        BpfProgram? program = linkType == _lastLinkType && _lastProgram is not null ? _lastProgram : Lookup(linkType);
        return program is not null && program.Run(frame, originalLength) != 0;
    }

    /// <summary>The program for <paramref name="linkType"/>, compiling it if needed; null when libpcap rejects the expression for it.</summary>
    public BpfProgram? GetProgram(LinkType linkType) => Lookup(linkType);

    private BpfProgram? Lookup(LinkType linkType)
    {
        if (!_programs.TryGetValue(linkType, out BpfProgram? program))
        {
            try
            {
                program = BpfProgram.Compile(Expression, linkType, SnapLength, Optimize);
            }
            catch (FilterException ex)
            {
                _errors[linkType] = ex.Message;
                program = null;
            }
            _programs[linkType] = program;
        }
        _lastLinkType = linkType;
        _lastProgram = program;
        return program;
    }
}
