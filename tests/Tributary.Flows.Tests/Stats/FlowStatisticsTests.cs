using System.Text.Json;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Live;
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

    /// <summary>Passes on a file's packets, then fails as a live capture does when its interface goes down.</summary>
    private sealed class FailingSource(PacketSource inner, long failAfter) : PacketSource
    {
        public bool Stopped { get; private set; }

        public override string Name => "lo";

        public override IReadOnlyList<CaptureInterface> Interfaces => inner.Interfaces;

        public override bool TryReadNext(out Packet packet)
        {
            packet = default;
            if (Stopped)
                return false;
            if (PacketsRead == failAfter)
                throw new CaptureSystemException("capture on lo", 100); // ENETDOWN
            if (!inner.TryReadNext(out packet))
                return false;
            PacketsRead++;
            return true;
        }

        public override void Stop() => Stopped = true;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_live_capture_that_fails_ends_the_run_with_the_totals_before_it_and_the_fault()
    {
        string path = Path.Combine(SharedPaths.Corpus, "gen__seed.pcap");
        using (var one = new FailingSource(CaptureFile.Open(path), 5000))
        {
            FlowStatisticsResult r = new FlowStatistics(new FlowStatisticsOptions()).Run(one);
            Assert.Equal(5000, r.Packets);
            Assert.Equal("capture on lo: Network is down (ENETDOWN)", r.InputError);
            Assert.Equal(r.Flows, r.FinalStates.Values.Sum()); // the flows still open are listed
        }
        // In a fanout group the failed capture stops the others (alone they would lose its connections' other
        // halves): the totals are the group's up to then.
        using var failing = new FailingSource(CaptureFile.Open(path), 3000);
        using var other = new FailingSource(CaptureFile.Open(path), long.MaxValue);
        FlowStatisticsResult g = new FlowStatistics(new FlowStatisticsOptions { Threads = 2 }).Run([failing, other]);
        Assert.Equal("capture on lo: Network is down (ENETDOWN)", g.InputError);
        Assert.True(other.Stopped);
        Assert.Equal(3000 + other.PacketsRead, g.Packets);
        Assert.Equal([3000, other.PacketsRead], g.ShardPackets);
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

    [KernelFact("python3")]
    public void Live_a_connection_idle_past_the_TCP_timeout_ends_while_the_link_is_quiet()
    {
        // A connection on lo exchanges a line, then stays open and silent until the capture is stopped, 2.5 s later.
        // With a 1 s TCP timeout it ends (its final states are counted) during the quiet, on the wall clock; on frame
        // time alone the clock would stop at its last frame and the run would end with the connection still open.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fli");
        using LiveCapture capture = Tributary.Netlink.NetworkNamespace.Run(ns.Path,
            () => LiveCapture.Open("lo", new LiveCaptureOptions { BlockTimeoutMilliseconds = 50 }));
        FlowStatisticsResult? result = null;
        var run = new Thread(() => result = new FlowStatistics(new FlowStatisticsOptions { TcpTimeoutSeconds = 1 }).Run(capture));
        run.Start();
        const string talk = """
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7001)); s.listen(1)
c = socket.create_connection(("127.0.0.1", 7001)); a, _ = s.accept()
c.sendall(b"hello"); a.recv(100)
print("ready", flush=True)
time.sleep(30)
""";
        var psi = new System.Diagnostics.ProcessStartInfo("ip", ["netns", "exec", ns.Name, "python3", "-c", talk])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var peer = System.Diagnostics.Process.Start(psi)!;
        try
        {
            Assert.Equal("ready", peer.StandardOutput.ReadLine());
            Thread.Sleep(2500);
            capture.Stop();
            Assert.True(run.Join(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            peer.Kill();
            peer.WaitForExit();
        }
        Assert.NotNull(result);
        Assert.Null(result.InputError);
        Assert.Equal(1, result.Flows);
        Assert.Equal(new Dictionary<string, long> { ["ESTABLISHED/ESTABLISHED"] = 1 }, result.FinalStates.ToDictionary());
    }
}
