namespace Tributary.Capture.Decoding;

/// <summary>
/// The options a TCP state tracker needs, gathered in one pass (<see cref="Parse"/>): MSS, window
/// scale, SACK-permitted, timestamps, SACK block count, Fast Open and the MPTCP subtype.
/// </summary>
public struct TcpOptionSummary
{
    public bool HasMaximumSegmentSize;
    public ushort MaximumSegmentSize;
    public bool HasWindowScale;
    public byte WindowScale;
    public bool SackPermitted;
    public bool HasTimestamps;
    public uint TimestampValue;
    public uint TimestampEchoReply;
    public int SackBlockCount;
    public bool HasFastOpen;
    public bool HasMptcp;
    public MptcpSubtype MptcpSubtype;

    /// <summary>True when the walk stopped at a malformed option.</summary>
    public bool IsMalformed;

    /// <summary>Reads every option; later duplicates overwrite earlier ones.</summary>
    public static TcpOptionSummary Parse(ReadOnlySpan<byte> options)
    {
        var s = default(TcpOptionSummary);
        var reader = new TcpOptionReader(options);
        while (reader.MoveNext())
        {
            TcpOption o = reader.Current;
            switch (o.Kind)
            {
                case TcpOptionKind.MaximumSegmentSize:
                    s.HasMaximumSegmentSize = o.TryGetMaximumSegmentSize(out s.MaximumSegmentSize);
                    break;
                case TcpOptionKind.WindowScale:
                    s.HasWindowScale = o.TryGetWindowScale(out s.WindowScale);
                    break;
                case TcpOptionKind.SackPermitted:
                    s.SackPermitted = o.Length == 2;
                    break;
                case TcpOptionKind.Timestamps:
                    s.HasTimestamps = o.TryGetTimestamps(out s.TimestampValue, out s.TimestampEchoReply);
                    break;
                case TcpOptionKind.Sack:
                    s.SackBlockCount = o.SackBlockCount;
                    break;
                case TcpOptionKind.FastOpen:
                case TcpOptionKind.Experimental2:
                    s.HasFastOpen |= o.TryGetFastOpenCookie(out _);
                    break;
                case TcpOptionKind.Mptcp when o.Data.Length >= 1:
                    s.HasMptcp = true;
                    s.MptcpSubtype = (MptcpSubtype)(o.Data[0] >> 4);
                    break;
            }
        }
        s.IsMalformed = reader.IsMalformed;
        return s;
    }
}
