using Tributary.Capture.Files;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Corpus;

/// <summary>
/// Every corpus file decoded and cross-checked against tshark 4.0 packet by packet: lengths, time,
/// interface, IP version and addresses, fragments, TCP/UDP ports, sequence/ack numbers, flags, header
/// and payload lengths. The committed fixture (Fixtures/corpus-tshark.tsv) holds a digest of the
/// tshark-verified rows per file, so the check also runs where tshark is missing; the live tests
/// re-run tshark and verify both the packets and the fixture.
/// </summary>
public sealed class CorpusTsharkTests(ITestOutputHelper output)
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "corpus-tshark.tsv");

    private static Dictionary<string, FileSummary> Fixture() => File.ReadLines(FixturePath)
        .Where(l => !l.StartsWith('#') && l.Length > 0).Select(FileSummary.Parse).ToDictionary(s => s.Name);

    [Fact]
    public void Fixture_covers_every_corpus_file()
    {
        Assert.NotEmpty(CorpusFiles.All);
        Assert.Equal(CorpusFiles.All.Order(StringComparer.Ordinal), Fixture().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.Names), MemberType = typeof(CorpusFiles))]
    public void Decoding_matches_the_tshark_verified_fixture(string name)
    {
        FileSummary expected = Fixture()[name];
        Assert.Equal(expected, RowComparison.Summarize(name, Tshark.OurRows(CorpusFiles.PathOf(name))));
        Assert.Equal(expected, RowComparison.Summarize(name, Tshark.OurRows(CorpusFiles.PathOf(name), memoryMap: true)));
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.Names), MemberType = typeof(CorpusFiles))]
    public void Statistics_agree_with_the_fixture(string name)
    {
        FileSummary expected = Fixture()[name];
        using PacketSource source = CaptureFile.Open(CorpusFiles.PathOf(name));
        CaptureStatistics s = CaptureStatistics.Collect(source);
        Assert.Equal(expected.Packets, s.Packets);
        Assert.Equal(expected.Bytes, s.Bytes);
        Assert.Equal(expected.Packets, s.Matched);
        Assert.Equal(expected.IPv4, s.IPv4);
        Assert.Equal(expected.IPv6, s.IPv6);
        Assert.Equal(expected.Tcp, s.Tcp);
        Assert.Equal(expected.Udp, s.Udp);
        Assert.Equal(expected.Fragments, s.Fragments);
        Assert.Equal(expected.Packets, s.LinkTypes.Values.Sum());
    }

    /// <summary>Live: tshark on a sample of files covering every format and link type (all files with CAPTURE_TSHARK_ALL=1).</summary>
    [ToolFact("tshark")]
    public void Every_packet_matches_tshark_live()
    {
        bool all = Environment.GetEnvironmentVariable("CAPTURE_TSHARK_ALL") == "1";
        string[] sample =
        [
            "gen__http_v6_nsec.pcap", "gen__misc_v4_snap96.pcap", "gen__misc_v4_vlan100.pcap", "gen__mptcp_any_sll2.pcap",
            "pub__mptcp__client_2_sll.pcap", "pub__mptcp__iperf_mptcp_0_0.pcap", "pub__ppp__frag_http_req.pcap",
            "pub__ppp__many_interfaces.pcapng", "pub__ppp__nanosecs_big_endian.pcap", "pub__ppp__null_loopback.pcap",
            "pub__ppp__one_http_stream_rst.pcap", "pub__ppp__pcapng_example_snap128.pcapng", "pub__ppp__raw_ip.pcap",
            "pub__ppp__sll2.pcap", "pub__tcpreplay__test.pcap", "pub__zeek__http_qinq.pcap", "pub__zeek__ipv6_atomic_frag.pcap",
            "pub__zeek__truncated_header_snap68.pcap", "pub__cs__http_ip4and6.pcapng", "pub__zeek__http_eth_padding.pcap",
        ];
        Dictionary<string, FileSummary> fixture = Fixture();
        var failures = new List<string>();
        foreach (string name in all ? CorpusFiles.All : sample)
        {
            string path = CorpusFiles.PathOf(name);
            List<PacketRow> theirs = Tshark.Rows(path), ours = Tshark.OurRows(path);
            List<string> diffs = RowComparison.Compare(theirs, ours);
            foreach (string d in diffs.Take(5))
                failures.Add($"{name}: {d}");
            if (diffs.Count == 0 && RowComparison.Summarize(name, ours) != fixture[name])
                failures.Add($"{name}: agrees with tshark but not with the fixture (regenerate it: CAPTURE_WRITE_FIXTURE=1)");
        }
        foreach (string f in failures)
            output.WriteLine(f);
        Assert.Empty(failures);
    }

    /// <summary>
    /// Regenerates Fixtures/corpus-tshark.tsv in the source tree when CAPTURE_WRITE_FIXTURE=1: only
    /// files whose every packet agrees with tshark are written.
    /// </summary>
    [ToolFact("tshark")]
    public void Write_fixture_when_asked()
    {
        if (Environment.GetEnvironmentVariable("CAPTURE_WRITE_FIXTURE") != "1")
            return;
        var lines = new List<string> { "# Digest of tshark-verified per-packet rows (CorpusTsharkTests; CAPTURE_WRITE_FIXTURE=1 regenerates)", FileSummary.Header };
        var failures = new List<string>();
        foreach (string name in CorpusFiles.All)
        {
            string path = CorpusFiles.PathOf(name);
            List<PacketRow> theirs = Tshark.Rows(path), ours = Tshark.OurRows(path);
            List<string> diffs = RowComparison.Compare(theirs, ours);
            failures.AddRange(diffs.Take(10).Select(d => $"{name}: {d}"));
            lines.Add(RowComparison.Summarize(name, ours).ToLine());
        }
        foreach (string f in failures)
            output.WriteLine(f);
        Assert.Empty(failures);
        File.WriteAllLines(Path.Combine(SharedPaths.Repository, "tests", "Tributary.Capture.Tests", "Fixtures", "corpus-tshark.tsv"), lines);
    }
}
