using System.Text.Json;
using Tributary.Flows.Applications.Stats;

namespace Tributary.Flows.Tests.Stats;

/// <summary>
/// The flows-stats workload on the corpus: the engine (default mode: every link type, IPv6, VLAN/QinQ/MPLS/PPPoE)
/// creates a flow for every handshake tshark sees, and the sharded mode gives the same totals as one thread.
/// </summary>
public sealed class FlowStatisticsTests
{
    /// <summary>Captures cut by a snapshot length: SYNs whose IP length exceeds the captured bytes carry no events (DEVIATIONS B34).</summary>
    private static readonly Dictionary<string, int> s_truncatedSyns = new()
    {
        ["gen__misc_v4_snap96.pcap"] = 2,              // TCP Fast Open SYNs with data, cut at 96 bytes
        ["pub__zeek__truncated_header_snap68.pcap"] = 1, // the SYN's options cut at 68 bytes
    };

    public static TheoryData<string> CorpusFiles() => Summary.CorpusSummaryTests.CorpusFiles();

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_handshake_of_the_corpus_becomes_a_flow(string file)
    {
        string path = Path.Combine(SharedPaths.Corpus, file);
        FlowStatisticsResult r = new FlowStatistics(new FlowStatisticsOptions()).Run(path);
        int synRows = File.ReadLines(path + ".oracle.tsv").Where(l => !l.StartsWith('#')).Skip(1)
            .Count(l => int.Parse(l.Split('\t')[19], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(synRows - s_truncatedSyns.GetValueOrDefault(file), r.Flows);
        Assert.Equal(r.Flows, r.FinalStates.Values.Sum()); // every flow ended or is listed open
        Assert.Equal(0, r.Errors);
    }

    [Fact]
    public void Seed_capture_totals_and_sharding_agree()
    {
        string path = Path.Combine(SharedPaths.Corpus, "gen__seed.pcap");
        FlowStatisticsResult one = new FlowStatistics(new FlowStatisticsOptions()).Run(path);
        FlowStatisticsResult two = new FlowStatistics(new FlowStatisticsOptions { Threads = 2 }).Run(path);
        FlowStatisticsResult buffered = new FlowStatistics(new FlowStatisticsOptions { Buffers = true, Checksums = true, Threads = 3 }).Run(path);
        Assert.Equal(26771, one.Packets);
        Assert.Equal(1054, one.Flows);
        Assert.Equal(0, one.Orphans);
        // 995 connections closed by FIN (TIME_WAIT on the side that closed first), 59 by RST (corpus oracle).
        Assert.Equal(59, one.FinalStates["CLOSED/CLOSED"]);
        Assert.Equal(995, one.FinalStates["TIME_WAIT/CLOSED"] + one.FinalStates["CLOSED/TIME_WAIT"]);
        foreach (FlowStatisticsResult other in new[] { two, buffered })
        {
            Assert.Equal(one.Packets, other.Packets);
            Assert.Equal(one.TcpPackets, other.TcpPackets);
            Assert.Equal(one.Flows, other.Flows);
            Assert.Equal(one.FinalStates, other.FinalStates);
            Assert.Equal(other.Packets, other.ShardPackets.Sum());
            Assert.All(other.ShardPackets, n => Assert.True(n > 0)); // 1,054 connections over 2 or 3 shards
        }
        Assert.Equal([one.Packets], one.ShardPackets);
        Assert.Equal(2, two.ShardPackets.Count);
        Assert.Equal(3, buffered.ShardPackets.Count);
        // With buffers every in-order byte is peeked once: the oracle's stream totals (corpus README peer table).
        Assert.Equal(2509570 + 12140454, buffered.PeekedBytes);
        Assert.Equal(0, buffered.ChecksumErrors);
    }

    [Fact]
    public void Cli_prints_the_contract_keys()
    {
        string bin = Support.Launcher.Path;
        ProcessResult r = ProcessRunner.Run(bin, ["flows", "stats", "--json", Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap")], timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(0, r.ExitCode);
        using JsonDocument d = JsonDocument.Parse(r.StandardOutput);
        foreach (string key in (string[])["packets", "tcp_packets", "flows", "orphans", "rexmits", "errors", "final_states", "mpps"])
            Assert.True(d.RootElement.TryGetProperty(key, out _), key);
        Assert.Equal(164, d.RootElement.GetProperty("flows").GetInt64());
        ProcessResult bad = ProcessRunner.Run(bin, ["flows", "stats", "--threads", "0", "x.pcap"]);
        Assert.Equal(2, bad.ExitCode);
        ProcessResult missing = ProcessRunner.Run(bin, ["flows", "summary", "/nonexistent.pcap"]);
        Assert.Equal(1, missing.ExitCode);
    }
}
