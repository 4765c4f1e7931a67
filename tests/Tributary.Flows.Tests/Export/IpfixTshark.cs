using System.Buffers.Binary;
using System.Globalization;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Export;

/// <summary>tshark as the independent reader of IPFIX exports: what it counts in a capture, and what it decodes from the records.</summary>
internal static class IpfixTshark
{
    /// <summary>One record as "src sport dst dport octets packets startMs endMs endReason direction".</summary>
    public static SortedSet<string> Expected(string capture)
    {
        ProcessResult r = ProcessRunner.Run("tshark", ["-r", capture, "-Y", "tcp", "-T", "fields", "-E", "separator=/t",
            "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
            "-e", "ip.len", "-e", "ipv6.plen", "-e", "frame.time_epoch", "-e", "tcp.flags"]).EnsureSuccess("tshark");
        var directions = new Dictionary<(string Stream, string Src, string Port), (string Dst, string DPort, long Octets, long Packets, long First, long Last, int Order)>();
        var rst = new HashSet<string>();
        var finFrom = new Dictionary<string, HashSet<string>>();
        var firstSender = new Dictionary<string, (string, string)>();
        var synSender = new Dictionary<string, (string, string)>();
        foreach (string line in r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            string src = f[1] != "" ? f[1] : f[2], dst = f[4] != "" ? f[4] : f[5];
            long octets = f[7] != "" ? long.Parse(f[7], CultureInfo.InvariantCulture) : 40 + long.Parse(f[8], CultureInfo.InvariantCulture);
            long ms = (long)(decimal.Parse(f[9], CultureInfo.InvariantCulture) * 1000m);
            int tcpFlags = Convert.ToInt32(f[10], 16);
            var key = (f[0], src, f[3]);
            directions[key] = directions.TryGetValue(key, out var d)
                ? (d.Dst, d.DPort, d.Octets + octets, d.Packets + 1, Math.Min(d.First, ms), Math.Max(d.Last, ms), d.Order)
                : (dst, f[6], octets, 1, ms, ms, directions.Count);
            firstSender.TryAdd(f[0], (src, f[3]));
            if ((tcpFlags & 0x12) == 0x02)
                synSender.TryAdd(f[0], (src, f[3]));
            if ((tcpFlags & 0x04) != 0)
                rst.Add(f[0]);
            if ((tcpFlags & 0x01) != 0)
            {
                if (!finFrom.TryGetValue(f[0], out HashSet<string>? senders))
                    finFrom[f[0]] = senders = [];
                senders.Add(src + " " + f[3]);
            }
        }
        var records = new SortedSet<string>(StringComparer.Ordinal);
        foreach (((string stream, string src, string port), var d) in directions)
        {
            int reason = rst.Contains(stream) || finFrom.GetValueOrDefault(stream)?.Count == 2 ? 3 : 4;
            // The client: the SYN's sender, else (mid-stream) the first packet's (corpus basis rule; these captures have SYNs).
            (string, string) client = synSender.TryGetValue(stream, out var s) ? s : firstSender[stream];
            int direction = (src, port) == client ? 1 : 2;
            records.Add($"{src} {port} {d.Dst} {d.DPort} {d.Octets} {d.Packets} {d.First} {d.Last} {reason} {direction}");
        }
        return records;
    }

    /// <summary>Packets and octets per "src sport dst dport" over every record.</summary>
    public static Dictionary<string, (long Octets, long Packets)> Sums(IEnumerable<string> records)
    {
        var sums = new Dictionary<string, (long, long)>();
        foreach (string r in records)
        {
            string[] f = r.Split(' ');
            string key = string.Join(' ', f[..4]);
            (long o, long p) = sums.GetValueOrDefault(key);
            sums[key] = (o + long.Parse(f[4], CultureInfo.InvariantCulture), p + long.Parse(f[5], CultureInfo.InvariantCulture));
        }
        return sums;
    }

    /// <summary>The records tshark decodes from a capture of IPFIX datagrams.</summary>
    public static SortedSet<string> Decoded(string ipfixCapture, out List<(long Sequence, int Flows)> messages) =>
        new(DecodedList(ipfixCapture, out messages), StringComparer.Ordinal);

    /// <summary>Every record tshark decodes, in order, duplicates kept (two flows can give equal records).</summary>
    public static List<string> DecodedList(string ipfixCapture, out List<(long Sequence, int Flows)> messages)
    {
        ProcessResult r = ProcessRunner.Run("tshark", ["-r", ipfixCapture, "-d", "udp.port==4739,cflow", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|",
            "-e", "cflow.sequence", "-e", "cflow.srcaddr", "-e", "cflow.srcaddrv6", "-e", "cflow.srcport", "-e", "cflow.dstaddr", "-e", "cflow.dstaddrv6", "-e", "cflow.dstport",
            "-e", "cflow.octets", "-e", "cflow.packets", "-e", "cflow.abstimestart", "-e", "cflow.abstimeend", "-e", "cflow.flow_end_reason", "-e", "cflow.biflow_direction",
            "-e", "_ws.expert"]).EnsureSuccess("tshark");
        var records = new List<string>();
        messages = [];
        foreach (string line in r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            Assert.True(f[13] == "", $"tshark's expert info on our IPFIX: {f[13]}");
            string[] Col(int i) => f[i] == "" ? [] : f[i].Split('|');
            string[] v4Src = Col(1), v6Src = Col(2), v4Dst = Col(4), v6Dst = Col(5), sports = Col(3), dports = Col(6), octets = Col(7), packets = Col(8),
                starts = Col(9), ends = Col(10), reasons = Col(11), dirs = Col(12);
            string[] src = [.. v4Src, .. v6Src], dst = [.. v4Dst, .. v6Dst];
            messages.Add((long.Parse(f[0], CultureInfo.InvariantCulture), sports.Length));
            for (int i = 0; i < sports.Length; i++)
            {
                // tshark prints an absolute time field as "Nov 22, 2026 02:02:03.207000000 UTC", and a day below 10
                // padded with a space: "Dec  3, 2026 …".
                long Ms(string t)
                {
                    int dot = t.LastIndexOf('.');
                    string date = string.Join(' ', t[..dot].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    var seconds = DateTime.ParseExact(date, "MMM d, yyyy HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                    return new DateTimeOffset(seconds, TimeSpan.Zero).ToUnixTimeMilliseconds() + int.Parse(t[(dot + 1)..(dot + 4)], CultureInfo.InvariantCulture);
                }
                records.Add($"{src[i]} {sports[i]} {dst[i]} {dports[i]} {octets[i]} {packets[i]} {Ms(starts[i])} {Ms(ends[i])} {reasons[i]} {dirs[i]}");
            }
        }
        return records;
    }

    /// <summary>An IPv4/UDP datagram to port 4739 carrying <paramref name="payload"/> (checksums zero: UDP's is optional).</summary>
    public static byte[] Udp(byte[] payload, ushort sourcePort = 50000)
    {
        byte[] p = new byte[28 + payload.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 17;
        p[12] = 127;
        p[15] = 1;
        p[16] = 127;
        p[19] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Frames.Checksum(p.AsSpan(0, 20), 0));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 4739);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(p, 28);
        return p;
    }

    /// <summary>The messages of an IPFIX file (RFC 5655): each one's length field leads to the next.</summary>
    public static List<byte[]> Messages(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var messages = new List<byte[]>();
        for (int at = 0; at < bytes.Length;)
        {
            Assert.Equal(10, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at)));
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at + 2));
            Assert.InRange(length, 20, bytes.Length - at);
            messages.Add(bytes[at..(at + length)]);
            at += length;
        }
        return messages;
    }

    /// <summary>Writes <paramref name="messages"/> as the UDP datagrams a collector would have received, for tshark to decode.</summary>
    public static void WrapAsDatagrams(IEnumerable<byte[]> messages, string pcap) =>
        WrapAsDatagrams(messages.Select(m => (m, 50000)), pcap);

    /// <summary>As <see cref="WrapAsDatagrams(IEnumerable{byte[]}, string)"/>, each from its exporter's source port (one session per port).</summary>
    public static void WrapAsDatagrams(IEnumerable<(byte[] Message, int SourcePort)> messages, string pcap)
    {
        using var w = new PcapWriter(File.Create(pcap), LinkType.Raw);
        foreach ((byte[] m, int port) in messages)
        {
            byte[] datagram = Udp(m, (ushort)port);
            w.Write(datagram, datagram.Length, 1_700_000_000_000_000_000L, LinkType.Raw);
        }
    }

    /// <summary>The records of an IPFIX file, as tshark decodes them.</summary>
    public static SortedSet<string> DecodedFile(string file) => new(DecodedFileList(file), StringComparer.Ordinal);

    /// <summary>Every record of an IPFIX file, as tshark decodes them, duplicates kept.</summary>
    public static List<string> DecodedFileList(string file)
    {
        string wrapped = file + ".pcap";
        try
        {
            WrapAsDatagrams(Messages(file), wrapped);
            return DecodedList(wrapped, out _);
        }
        finally
        {
            File.Delete(wrapped);
        }
    }
}
