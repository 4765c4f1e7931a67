namespace Tributary.Capture.Decoding;

/// <summary>
/// Walks the TCP options area (<see cref="DecodedPacket.TcpOptions"/>) without allocating:
/// <c>foreach (TcpOption o in new TcpOptionReader(p.TcpOptions)) …</c>. Stops at End-of-List, at
/// the end of the area, or at a malformed option (length below 2 or beyond the area), which sets
/// <see cref="IsMalformed"/>. NOPs are skipped.
/// </summary>
public ref struct TcpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _next;
    private TcpOption _current;

    public TcpOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _next = 0;
        _current = default;
        IsMalformed = false;
    }

    /// <summary>True when the walk stopped at an option whose length field is impossible.</summary>
    public bool IsMalformed { get; private set; }

    public readonly TcpOption Current => _current;

    public readonly TcpOptionReader GetEnumerator() => this;

    public bool MoveNext()
    {
        ReadOnlySpan<byte> o = _options;
        int p = _next;
        while (p < o.Length)
        {
            var kind = (TcpOptionKind)o[p];
            if (kind == TcpOptionKind.EndOfList)
                break;
            if (kind == TcpOptionKind.NoOperation)
            {
                p++;
                continue;
            }
            if (p + 1 >= o.Length)
            {
                IsMalformed = true;
                break;
            }
            int length = o[p + 1];
            if (length < 2 || p + length > o.Length)
            {
                IsMalformed = true;
                break;
            }
            _current = new TcpOption(kind, length, o.Slice(p + 2, length - 2), p);
            _next = p + length;
            return true;
        }
        _next = o.Length;
        return false;
    }
}
