using Tributary.Capture.Decoding;

namespace Tributary.Capture.Tests.Corpus;

/// <summary>Per-packet comparison of our decoding with tshark's, with the few documented differences allowed.</summary>
public static class RowComparison
{
    /// <summary>Differences, one line each (empty when the file agrees).</summary>
    public static List<string> Compare(IReadOnlyList<PacketRow> tshark, IReadOnlyList<PacketRow> ours)
    {
        var diffs = new List<string>();
        if (tshark.Count != ours.Count)
            diffs.Add($"packet count: tshark {tshark.Count}, ours {ours.Count}");
        for (int i = 0; i < Math.Min(tshark.Count, ours.Count); i++)
        {
            PacketRow t = tshark[i], o = ours[i];
            void Check<T>(string what, T a, T b)
            {
                if (!EqualityComparer<T>.Default.Equals(a, b))
                    diffs.Add($"frame {t.Number}: {what}: tshark {a}, ours {b}");
            }
            Check("number", t.Number, o.Number);
            Check("len", t.Length, o.Length);
            Check("caplen", t.CapturedLength, o.CapturedLength);
            Check("time", t.TimestampNs, o.TimestampNs);
            Check("interface", t.InterfaceId, o.InterfaceId);
            Check("ip version", t.IpVersion, o.IpVersion);
            Check("source", t.Source, o.Source);
            Check("destination", t.Destination, o.Destination);
            Check("fragment", t.Fragment, o.Fragment);
            Check("transport", t.Transport, o.Transport);
            if (t.Transport is null || t.Transport != o.Transport)
                continue;
            Check("sport", t.SourcePort, o.SourcePort);
            Check("dport", t.DestinationPort, o.DestinationPort);
            if (t.Transport == "tcp")
            {
                Check("seq", t.Sequence, o.Sequence);
                Check("ack", t.Acknowledgment, o.Acknowledgment);
                Check("flags", t.Flags, o.Flags);
                if (t.TcpHeaderLength is not null)
                    Check("tcp header length", t.TcpHeaderLength, o.TcpHeaderLength);
            }
            if (t.PayloadLength is not null)
                Check("payload length", t.PayloadLength, o.PayloadLength);
        }
        return diffs;
    }

    /// <summary>Order-independent digest of a file's rows: the committed fixture keeps these per file.</summary>
    public static FileSummary Summarize(string name, IReadOnlyList<PacketRow> rows)
    {
        var s = new FileSummary { Name = name };
        foreach (PacketRow r in rows)
        {
            s.Packets++;
            s.Bytes += r.Length;
            s.CapturedBytes += r.CapturedLength;
            s.TimeSum += r.TimestampNs;
            s.InterfaceSum += r.InterfaceId;
            if (r.IpVersion == 4)
                s.IPv4++;
            else if (r.IpVersion == 6)
                s.IPv6++;
            if (r.Source is not null)
                s.AddressHash += Fnv(r.Source) * 3 + Fnv(r.Destination!);
            if (r.Fragment)
                s.Fragments++;
            if (r.Transport == "tcp")
            {
                s.Tcp++;
                s.PortSum += r.SourcePort * 65536L + r.DestinationPort;
                s.SequenceSum += r.Sequence + ((long)r.Acknowledgment << 1) + r.Flags;
                s.PayloadSum += r.PayloadLength ?? 0;
            }
            else if (r.Transport == "udp")
            {
                s.Udp++;
                s.PortSum += r.SourcePort * 65536L + r.DestinationPort;
                s.PayloadSum += r.PayloadLength ?? 0;
            }
        }
        return s;
    }

    private static long Fnv(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
            h = (h ^ c) * 1099511628211UL;
        return (long)(h >> 8);
    }
}

/// <summary>One line of Fixtures/corpus-tshark.tsv.</summary>
public sealed record FileSummary
{
    public string Name { get; set; } = "";
    public long Packets { get; set; }
    public long Bytes { get; set; }
    public long CapturedBytes { get; set; }
    public long TimeSum { get; set; }
    public long InterfaceSum { get; set; }
    public long IPv4 { get; set; }
    public long IPv6 { get; set; }
    public long AddressHash { get; set; }
    public long Fragments { get; set; }
    public long Tcp { get; set; }
    public long Udp { get; set; }
    public long PortSum { get; set; }
    public long SequenceSum { get; set; }
    public long PayloadSum { get; set; }

    public const string Header = "#file\tpackets\tbytes\tcaptured\ttime_sum\tiface_sum\tipv4\tipv6\taddr_hash\tfragments\ttcp\tudp\tport_sum\tseq_sum\tpayload_sum";

    public string ToLine() => string.Join('\t', Name, Packets, Bytes, CapturedBytes, TimeSum, InterfaceSum, IPv4, IPv6,
        AddressHash, Fragments, Tcp, Udp, PortSum, SequenceSum, PayloadSum);

    public static FileSummary Parse(string line)
    {
        string[] f = line.Split('\t');
        long L(int i) => long.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture);
        return new FileSummary
        {
            Name = f[0],
            Packets = L(1),
            Bytes = L(2),
            CapturedBytes = L(3),
            TimeSum = L(4),
            InterfaceSum = L(5),
            IPv4 = L(6),
            IPv6 = L(7),
            AddressHash = L(8),
            Fragments = L(9),
            Tcp = L(10),
            Udp = L(11),
            PortSum = L(12),
            SequenceSum = L(13),
            PayloadSum = L(14),
        };
    }
}
