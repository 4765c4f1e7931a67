using System.Buffers.Binary;
using System.Net;

namespace Tributary.Flows.Tests.Support;

/// <summary>Builds Ethernet/IPv4|IPv6/TCP frames with correct checksums for scenario tests (SCENARIOS.md conventions).</summary>
internal static class Frames
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    public static byte[] Tcp(string src, ushort sport, string dst, ushort dport, byte flags, uint seq, uint ack,
        ReadOnlySpan<byte> payload = default, ushort window = 65535, ushort[]? vlans = null, bool badChecksum = false,
        ReadOnlySpan<byte> options = default)
    {
        int optionLength = (options.Length + 3) & ~3; // padded with End-of-List bytes (zero) to whole 32-bit words
        IPAddress s = IPAddress.Parse(src), d = IPAddress.Parse(dst);
        bool v6 = s.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int tags = vlans?.Length ?? 0;
        int l3 = 14 + 4 * tags;
        int ipHeader = v6 ? 40 : 20;
        int tcpLen = 20 + optionLength + payload.Length;
        var f = new byte[l3 + ipHeader + tcpLen];
        for (int i = 0; i < tags; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12 + 4 * i), i == 0 && tags > 1 ? (ushort)0x88A8 : (ushort)0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14 + 4 * i), vlans![i]);
        }
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 - 2), v6 ? (ushort)0x86DD : (ushort)0x0800);
        Span<byte> ip = f.AsSpan(l3);
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)tcpLen);
            ip[6] = 6;
            ip[7] = 64;
            s.GetAddressBytes().CopyTo(ip[8..]);
            d.GetAddressBytes().CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + tcpLen));
            ip[8] = 64;
            ip[9] = 6;
            s.GetAddressBytes().CopyTo(ip[12..]);
            d.GetAddressBytes().CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20], 0));
        }
        Span<byte> t = f.AsSpan(l3 + ipHeader);
        BinaryPrimitives.WriteUInt16BigEndian(t, sport);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)((20 + optionLength) / 4 << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        options.CopyTo(t[20..]);
        payload.CopyTo(t[(20 + optionLength)..]);
        uint pseudo = 0;
        Span<byte> pb = stackalloc byte[40];
        if (v6)
        {
            pseudo = Sum(ip.Slice(8, 32)) + 6 + (uint)tcpLen;
        }
        else
        {
            pseudo = Sum(ip.Slice(12, 8)) + 6 + (uint)tcpLen;
        }
        ushort ck = Checksum(t, pseudo);
        if (badChecksum)
            ck ^= 0x5555;
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], ck);
        return f;
    }

    /// <summary>One's-complement sum of <paramref name="b"/> in 16-bit words (RFC 1071), added to <paramref name="sum"/>, not folded.</summary>
    public static uint Sum(ReadOnlySpan<byte> b, uint sum = 0)
    {
        for (int i = 0; i + 1 < b.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
        if ((b.Length & 1) != 0)
            sum += (uint)b[^1] << 8;
        return sum;
    }

    /// <summary>Folds a <see cref="Sum"/> to 16 bits: a valid header or segment (checksum included) folds to 0xFFFF.</summary>
    public static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum field's value for <paramref name="b"/> (checksum field zero) with <paramref name="sum"/> of a pseudo-header.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> b, uint sum) => (ushort)~Fold(Sum(b, sum));

    public static byte[] Bytes(char c, int n) => Enumerable.Repeat((byte)c, n).ToArray();

    public static byte[] Text(string s) => System.Text.Encoding.ASCII.GetBytes(s);
}

/// <summary>An in-memory frame source: frames at 1 ms intervals unless times are given.</summary>
internal sealed class ListFrameSource : IFrameSource
{
    private readonly List<(byte[] Frame, long Us, int LinkType)> _frames = [];
    private int _next;

    public ListFrameSource Add(byte[] frame, long? us = null, int linkType = 1)
    {
        _frames.Add((frame, us ?? 1_700_000_000_000_000L + _frames.Count * 1000L, linkType));
        return this;
    }

    public int Count => _frames.Count;

    /// <summary>Starts again from the first frame (a source can be traced several times).</summary>
    public void Rewind() => _next = 0;

    public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength)
    {
        if (_next == _frames.Count)
        {
            frame = default;
            linkType = 0;
            timestampMicroseconds = 0;
            wireLength = 0;
            return false;
        }
        var f = _frames[_next++];
        frame = f.Frame;
        linkType = f.LinkType;
        timestampMicroseconds = f.Us;
        wireLength = f.Frame.Length;
        return true;
    }

    public void Dispose()
    {
    }
}

/// <summary>The SCENARIOS.md conventions: client 10.0.0.1:40000 (ISN 1000), server 10.0.0.2:80 (ISN 5000).</summary>
internal static class Conn
{
    public static byte[] C(byte flags, uint seq, uint ack, byte[]? data = null) =>
        Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, flags, seq, ack, data);

    public static byte[] S(byte flags, uint seq, uint ack, byte[]? data = null) =>
        Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, flags, seq, ack, data);

    /// <summary>H: SYN, SYN/ACK, ACK.</summary>
    public static ListFrameSource Handshake() => new ListFrameSource()
        .Add(C(Frames.Syn, 1000, 0))
        .Add(S(Frames.Syn | Frames.Ack, 5000, 1001))
        .Add(C(Frames.Ack, 1001, 5001));

    /// <summary>Runs the reference tracer over the frames and returns its output lines.</summary>
    public static string[] RunTracer(ListFrameSource frames, bool compat = false, Tributary.Flows.Applications.Trace.TraceOptions? options = null,
        MonitorContextOptions? context = null)
    {
        var sw = new StringWriter();
        var tracer = new Tributary.Flows.Applications.Trace.ReferenceTracer(options ?? new(),
            context ?? new MonitorContextOptions { MosCompat = compat, MaxConcurrency = 1024 }, sw);
        frames.Rewind();
        tracer.Run(frames);
        return sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The callback lines of frame #n.</summary>
    public static string[] Frame(string[] lines, int n)
    {
        int i = Array.FindIndex(lines, l => l.StartsWith($"=== #{n} ", StringComparison.Ordinal));
        int j = Array.FindIndex(lines, i + 1, l => l.StartsWith("=== ", StringComparison.Ordinal) || l.StartsWith("  ---- end", StringComparison.Ordinal));
        return lines[(i + 1)..j];
    }
}
