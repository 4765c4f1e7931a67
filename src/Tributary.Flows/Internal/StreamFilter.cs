namespace Tributary.Flows.Internal;

/// <summary>Runs a compiled filter over a frame of the link type it was compiled for.</summary>
internal delegate bool FrameMatcher(ReadOnlySpan<byte> frame, int wireLength);

/// <summary>
/// A tcpdump-syntax filter bound to a socket. Stream filters are compiled once for Ethernet (mOS evaluates them on
/// an untagged Ethernet rendering of the packet, DEVIATIONS N5); raw filters are compiled per link type on first
/// use, so pcapng files with several link types are filtered correctly.
/// </summary>
internal sealed class StreamFilter
{
    private readonly Dictionary<int, FrameMatcher?> _byLinkType = [];

    private StreamFilter(string expression) => Expression = expression;

    public string Expression { get; }

    /// <summary>Compiles for <paramref name="linkType"/> (checking the expression); null and an error text on failure.</summary>
    public static StreamFilter? Create(string expression, int linkType, out string? error)
    {
        var f = new StreamFilter(expression);
        if (!FilterCompiler.TryCompile(expression, linkType, out FrameMatcher? m, out error))
            return null;
        f._byLinkType[linkType] = m;
        return f;
    }

    /// <summary>False when the expression cannot be compiled for this link type (the frame does not match).</summary>
    public bool Matches(ReadOnlySpan<byte> frame, int wireLength, int linkType)
    {
        if (!_byLinkType.TryGetValue(linkType, out FrameMatcher? m))
        {
            FilterCompiler.TryCompile(Expression, linkType, out m, out _);
            _byLinkType[linkType] = m;
        }
        return m is not null && m(frame, wireLength);
    }
}
