using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// One TCP option from <see cref="TcpOptionReader"/>: kind, total length and the value bytes after the
/// kind and length bytes. Typed accessors check the length the RFC requires and fail otherwise.
/// </summary>
public readonly ref struct TcpOption
{
    internal TcpOption(TcpOptionKind kind, int length, ReadOnlySpan<byte> data, int offset)
    {
        Kind = kind;
        Length = length;
        Data = data;
        Offset = offset;
    }

    public TcpOptionKind Kind { get; }

    /// <summary>Total length including kind and length bytes (1 for EOL and NOP).</summary>
    public int Length { get; }

    /// <summary>The value (Length − 2 bytes).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Offset of the kind byte within the options area.</summary>
    public int Offset { get; }

    /// <summary>MSS value (kind 2, length 4).</summary>
    public bool TryGetMaximumSegmentSize(out ushort mss)
    {
        mss = 0;
        if (Kind != TcpOptionKind.MaximumSegmentSize || Length != 4)
            return false;
        mss = BinaryPrimitives.ReadUInt16BigEndian(Data);
        return true;
    }

    /// <summary>Window scale shift (kind 3, length 3); values above 14 are reported as sent (RFC 7323 §2.3 says treat as 14).</summary>
    public bool TryGetWindowScale(out byte shift)
    {
        shift = 0;
        if (Kind != TcpOptionKind.WindowScale || Length != 3)
            return false;
        shift = Data[0];
        return true;
    }

    /// <summary>TSval and TSecr (kind 8, length 10).</summary>
    public bool TryGetTimestamps(out uint value, out uint echoReply)
    {
        value = echoReply = 0;
        if (Kind != TcpOptionKind.Timestamps || Length != 10)
            return false;
        value = BinaryPrimitives.ReadUInt32BigEndian(Data);
        echoReply = BinaryPrimitives.ReadUInt32BigEndian(Data[4..]);
        return true;
    }

    /// <summary>Number of SACK blocks (kind 5, length 2 + 8n, 1 ≤ n ≤ 4); 0 when this is no valid SACK option.</summary>
    public int SackBlockCount =>
        Kind == TcpOptionKind.Sack && Length >= 10 && (Length - 2) % 8 == 0 ? (Length - 2) / 8 : 0;

    /// <summary>SACK block <paramref name="index"/>: left edge and right edge (exclusive) sequence numbers.</summary>
    public bool TryGetSackBlock(int index, out uint left, out uint right)
    {
        left = right = 0;
        if ((uint)index >= (uint)SackBlockCount)
            return false;
        left = BinaryPrimitives.ReadUInt32BigEndian(Data[(index * 8)..]);
        right = BinaryPrimitives.ReadUInt32BigEndian(Data[(index * 8 + 4)..]);
        return true;
    }

    /// <summary>User timeout (RFC 5482 §2): granularity bit (true = minutes) and 15-bit value.</summary>
    public bool TryGetUserTimeout(out bool minutes, out ushort timeout)
    {
        minutes = false;
        timeout = 0;
        if (Kind != TcpOptionKind.UserTimeout || Length != 4)
            return false;
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(Data);
        minutes = (v & 0x8000) != 0;
        timeout = (ushort)(v & 0x7FFF);
        return true;
    }

    /// <summary>
    /// TCP Fast Open cookie (RFC 7413 §4.1.1: kind 34, cookie 4–16 bytes, empty = cookie request;
    /// also the experimental form, kind 254 with magic 0xF989). Empty span for a request.
    /// </summary>
    public bool TryGetFastOpenCookie(out ReadOnlySpan<byte> cookie)
    {
        cookie = default;
        if (Kind == TcpOptionKind.FastOpen)
        {
            if (Length != 2 && (Length < 6 || Length > 18))
                return false;
            cookie = Data;
            return true;
        }
        if (Kind == TcpOptionKind.Experimental2 && Length >= 4 && BinaryPrimitives.ReadUInt16BigEndian(Data) == 0xF989)
        {
            cookie = Data[2..];
            return true;
        }
        return false;
    }

    /// <summary>The MPTCP option (kind 30) parsed per RFC 8684 §3.</summary>
    public bool TryGetMptcp(out MptcpOption option)
    {
        option = default;
        return Kind == TcpOptionKind.Mptcp && MptcpOption.TryParse(Data, out option);
    }
}
