using Tributary.Capture.Files;
using Tributary.Capture.Filters;
using Tributary.Capture.Tests.Corpus;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Filters;

/// <summary>
/// <c>matched</c> equals tcpdump's count for a set of expressions on every corpus file: tcpdump writes
/// the packets it accepts (<c>-w</c>) and we count them. Where tcpdump stops at a pcapng interface of
/// another link type, the file is split per interface (one pcap each, with our writer) and each part
/// is checked against tcpdump on that part.
/// </summary>
public sealed class TcpdumpMatchTests(ITestOutputHelper output)
{
    public static readonly string[] Expressions =
    [
        "tcp", "udp", "ip", "ip6", "tcp port 80", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "icmp or icmp6",
        "vlan", "vlan and tcp", "mpls", "pppoes", "ip[6:2] & 0x3fff != 0", "greater 1000", "less 100",
        "net 10.0.0.0/8 or net 192.168.0.0/16", "portrange 1-1024", "not tcp", "ip6 and tcp[13] & 2 != 0",
        "tcp and len > 500", "ether broadcast or ether multicast", "ip proto 17 and not port 53", "ip6 dst port 80",
    ];

    [KernelTheoryFilter]
    [MemberData(nameof(CorpusFiles.Names), MemberType = typeof(CorpusFiles))]
    public void Matched_equals_tcpdump(string name)
    {
        string path = CorpusFiles.PathOf(name);
        using var temp = new TempDirectory();
        var failures = new List<string>();
        ProcessResult probe = ProcessRunner.Run("tcpdump", "-r", path, "-w", Path.Combine(temp.Path, "all.pcap"));
        bool whole = probe.ExitCode == 0;
        List<(string Path, LinkType LinkType, int Interface)> parts = whole
            ? [(path, LinkTypeOf(path), -1)]
            : SplitPerInterface(path, temp.Path);
        if (!whole)
            Assert.Contains("different from the type of the first interface", probe.StandardError);
        foreach (string expression in Expressions)
        {
            foreach (var (part, linkType, iface) in parts)
            {
                string outFile = Path.Combine(temp.Path, "out.pcap");
                ProcessResult r = ProcessRunner.Run("tcpdump", "-r", part, "-w", outFile, expression);
                long? ours = OurCount(part, expression, linkType, out string? ourError);
                if (r.ExitCode != 0)
                {
                    // libpcap rejected the expression for this link type: we must reject it too.
                    if (ours is not null)
                        failures.Add($"{name} [{expression}] iface {iface}: tcpdump refused ({r.StandardError.Trim()}) but we matched {ours}");
                    continue;
                }
                if (ours is null)
                {
                    failures.Add($"{name} [{expression}] iface {iface}: tcpdump accepted, we refused: {ourError}");
                    continue;
                }
                long theirs = Count(outFile);
                if (theirs != ours)
                    failures.Add($"{name} [{expression}] iface {iface}: tcpdump {theirs}, ours {ours}");
            }
        }
        // The whole multi-link-type file through one PacketFilter equals the sum of the parts.
        if (!whole)
        {
            foreach (string expression in Expressions.Take(6))
            {
                PacketFilter filter = PacketFilter.Compile(expression, parts[0].LinkType);
                long total = 0, sum = 0;
                using (PacketSource s = CaptureFile.Open(path))
                {
                    while (s.TryReadNext(out Packet p))
                        total += filter.Matches(p) ? 1 : 0;
                }
                foreach (var (part, linkType, _) in parts)
                    sum += OurCount(part, expression, linkType, out _) ?? 0;
                if (total != sum)
                    failures.Add($"{name} [{expression}]: whole file {total}, parts {sum}");
            }
        }
        foreach (string f in failures)
            output.WriteLine(f);
        Assert.Empty(failures);
    }

    private static long? OurCount(string path, string expression, LinkType linkType, out string? error)
    {
        error = null;
        PacketFilter filter;
        try
        {
            filter = PacketFilter.Compile(expression, linkType);
        }
        catch (FilterException ex)
        {
            error = ex.Message;
            return null;
        }
        long n = 0;
        using PacketSource source = CaptureFile.Open(path);
        while (source.TryReadNext(out Packet p))
        {
            if (filter.Matches(p))
                n++;
        }
        return n;
    }

    private static long Count(string path)
    {
        using PacketSource source = CaptureFile.Open(path);
        long n = 0;
        while (source.TryReadNext(out _))
            n++;
        return n;
    }

    private static LinkType LinkTypeOf(string path)
    {
        using PacketSource source = CaptureFile.Open(path);
        source.TryReadNext(out Packet p);
        return source.Interfaces.Count > 0 ? source.Interfaces[0].LinkType : p.LinkType;
    }

    /// <summary>One pcap per pcapng interface, packets in file order, with their own link type and the original timestamps.</summary>
    private static List<(string, LinkType, int)> SplitPerInterface(string path, string directory)
    {
        var writers = new Dictionary<int, (PcapWriter Writer, string Path, LinkType LinkType)>();
        using (PacketSource source = CaptureFile.Open(path))
        {
            while (source.TryReadNext(out Packet p))
            {
                if (!writers.TryGetValue(p.InterfaceId, out var w))
                {
                    string file = Path.Combine(directory, $"iface{p.InterfaceId}.pcap");
                    w = (PcapWriter.Create(file, p.LinkType, nanoseconds: true), file, p.LinkType);
                    writers[p.InterfaceId] = w;
                }
                w.Writer.Write(p);
            }
        }
        foreach (var w in writers.Values)
            w.Writer.Dispose();
        return writers.OrderBy(kv => kv.Key).Select(kv => (kv.Value.Path, kv.Value.LinkType, kv.Key)).ToList();
    }
}

/// <summary>A theory that needs tcpdump.</summary>
public sealed class KernelTheoryFilterAttribute : TheoryAttribute
{
    public KernelTheoryFilterAttribute()
    {
        string? reason = KernelRequirements.Program("tcpdump");
        if (reason is not null && !KernelRequirements.OnCi)
            Skip = reason;
    }
}
