using System.Globalization;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Stats;
using Tributary.Flows.Telemetry;

namespace Tributary.Flows.Tests.Telemetry;

/// <summary>
/// The instruments of <see cref="FlowMetrics"/>, read as an exporter reads them (a <see cref="System.Diagnostics.Metrics.MeterListener"/>),
/// after <c>flows stats</c> runs over corpus captures: they equal the totals the run prints, summed over shards, and
/// what tshark and the corpus oracle count in the captures.
/// </summary>
public sealed class FlowMetricsTests
{
    /// <summary>Every instrument: name → unit and kind (as OpenTelemetry exports them: monotonic sum or not).</summary>
    public static readonly Dictionary<string, (string Unit, string Kind)> Instruments = new(StringComparer.Ordinal)
    {
        ["tributary.flows.packets"] = ("{packet}", "ObservableCounter`1"),
        ["tributary.flows.tcp_packets"] = ("{packet}", "ObservableCounter`1"),
        ["tributary.flows.started"] = ("{flow}", "ObservableCounter`1"),
        ["tributary.flows.ended"] = ("{flow}", "ObservableCounter`1"),
        ["tributary.flows.active"] = ("{flow}", "ObservableUpDownCounter`1"),
        ["tributary.flows.orphans"] = ("{packet}", "ObservableCounter`1"),
        ["tributary.flows.retransmissions"] = ("{segment}", "ObservableCounter`1"),
        ["tributary.flows.errors"] = ("{error}", "ObservableCounter`1"),
        ["tributary.flows.discarded"] = ("{packet}", "ObservableCounter`1"),
        ["tributary.capture.received"] = ("{packet}", "ObservableCounter`1"),
        ["tributary.capture.dropped"] = ("{packet}", "ObservableCounter`1"),
    };

    public static TheoryData<string, int, bool, int> Runs() => new()
    {
        { "gen__seed.pcap", 2, false, 30 },              // 1,054 connections over two shards, every thread reading chunks
        { "gen__imp_loss2_srv.pcap", 1, false, 30 },     // orphans and retransmissions
        { "pub__cs__http_espn.pcapng", 1, true, 30 },    // bad checksums (offload), flows open at the end
        { "gen__misc_v4_snap96.pcap", 1, false, 30 },    // malformed (cut by the snapshot length)
        { "gen__misc_v4.pcap", 2, false, 1 },            // idle timeouts, two shards
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void After_a_run_the_instruments_equal_its_totals(string file, int threads, bool checksums, int tcpTimeout)
    {
        using var metrics = new FlowMetrics([new(FlowMetrics.CaptureFileAttribute, file)]);
        var options = new FlowStatisticsOptions
        {
            Threads = threads,
            Checksums = checksums,
            TcpTimeoutSeconds = tcpTimeout,
            Metrics = metrics,
            ChunkBytes = 64 << 10, // small files cut into many chunks: every thread reads
        };
        FlowStatisticsResult r = new FlowStatistics(options).Run(Path.Combine(SharedPaths.Corpus, file));
        Assert.Equal(threads, r.ShardPackets.Count);
        if (threads > 1)
            Assert.Equal("chunked", r.Strategy);
        MetricReadings m = MetricReadings.Collect(metrics.Meter);

        Assert.Equal(Instruments.Keys.Order(StringComparer.Ordinal), m.Instruments.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, (string unit, string kind)) in Instruments)
            Assert.Equal((unit, kind), m.Instruments[name]);
        Assert.All(m.Points, p => Assert.Equal(file, p.Attributes[FlowMetrics.CaptureFileAttribute]));
        Assert.DoesNotContain(m.Points, p => p.Name.StartsWith("tributary.capture.", StringComparison.Ordinal)); // a file has no kernel counts

        Assert.Equal(r.Packets, m.Value("tributary.flows.packets"));
        Assert.Equal(r.TcpPackets, m.Value("tributary.flows.tcp_packets"));
        Assert.Equal(r.Flows, m.Value("tributary.flows.started"));
        Assert.Equal(r.Orphans, m.Value("tributary.flows.orphans"));
        Assert.Equal(r.Retransmissions, m.Value("tributary.flows.retransmissions"));
        Assert.Equal(r.Errors, m.Value("tributary.flows.errors"));
        Assert.Equal(r.Malformed, m.Value("tributary.flows.discarded", FlowMetrics.DiscardReasonAttribute, "malformed"));
        Assert.Equal(r.ChecksumErrors, m.Value("tributary.flows.discarded", FlowMetrics.DiscardReasonAttribute, "bad_checksum"));
        // The printed final states: flows that ended by their states before the teardown, the others as "open:…".
        long open = r.FinalStates.Where(s => s.Key.StartsWith("open:", StringComparison.Ordinal)).Sum(s => s.Value);
        long ended = r.FinalStates.Values.Sum() - open;
        long closed = m.Value("tributary.flows.ended", FlowMetrics.EndReasonAttribute, "close");
        long idle = m.Value("tributary.flows.ended", FlowMetrics.EndReasonAttribute, "idle_timeout");
        Assert.Equal(ended, closed + idle);
        Assert.Equal(open, m.Value("tributary.flows.active"));
        if (tcpTimeout == 1)
            Assert.True(idle > 0, "a 1 s idle timeout ends some flows of gen__misc_v4");
        else
            Assert.Equal(0, idle);
    }

    /// <summary>What tshark counts in the captures (frames, frames with TCP) and the oracle's connections with a SYN.</summary>
    [ToolFact("tshark")]
    public void The_instruments_equal_what_tshark_and_the_oracle_count()
    {
        foreach ((string file, int threads, bool checksums) in new[] { ("gen__seed.pcap", 2, false), ("gen__imp_loss2_srv.pcap", 1, false), ("pub__cs__http_espn.pcapng", 1, true) })
        {
            string path = Path.Combine(SharedPaths.Corpus, file);
            using var metrics = new FlowMetrics();
            new FlowStatistics(new FlowStatisticsOptions { Threads = threads, Checksums = checksums, Metrics = metrics, ChunkBytes = 64 << 10 }).Run(path);
            MetricReadings m = MetricReadings.Collect(metrics.Meter);
            Assert.Equal(TsharkFrames(path, null), m.Value("tributary.flows.packets"));
            Assert.Equal(TsharkFrames(path, "tcp"), m.Value("tributary.flows.tcp_packets"));
            int synRows = File.ReadLines(path + ".oracle.tsv").Where(l => !l.StartsWith('#')).Skip(1)
                .Count(l => int.Parse(l.Split('\t')[19], CultureInfo.InvariantCulture) > 0);
            Assert.Equal(synRows, m.Value("tributary.flows.started"));
        }
    }

    private static long TsharkFrames(string path, string? filter)
    {
        string[] args = filter is null ? ["-r", path, "-T", "fields", "-e", "frame.number"] : ["-r", path, "-Y", filter, "-T", "fields", "-e", "frame.number"];
        return ProcessRunner.Run("tshark", args).EnsureSuccess("tshark").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [Fact]
    public async Task Counters_read_during_a_sharded_run_never_go_back_and_end_at_the_totals()
    {
        using var metrics = new FlowMetrics();
        var options = new FlowStatisticsOptions { Threads = 2, Metrics = metrics, ChunkBytes = 64 << 10 };
        Task<FlowStatisticsResult> run = Task.Run(() => new FlowStatistics(options).Run(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap")));
        long packets = 0, flows = 0;
        while (!run.IsCompleted)
        {
            MetricReadings m = MetricReadings.Collect(metrics.Meter);
            Assert.True(m.Value("tributary.flows.packets") >= packets);
            Assert.True(m.Value("tributary.flows.started") >= flows);
            packets = m.Value("tributary.flows.packets");
            flows = m.Value("tributary.flows.started");
        }
        FlowStatisticsResult r = await run.WithTimeout(what: "the run");
        MetricReadings last = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(r.Packets, last.Value("tributary.flows.packets"));
        Assert.Equal(r.Flows, last.Value("tributary.flows.started"));
    }

    [Fact]
    public void A_context_taken_out_leaves_the_counters_where_they_were_until_the_sums_pass_them()
    {
        // The work of a sharded run that is redone by one reader is taken out: a back end must not see a reset.
        using var metrics = new FlowMetrics();
        using var first = new MonitorContext();
        Feed(first, 100);
        metrics.Add(first);
        Assert.Equal(100, MetricReadings.Collect(metrics.Meter).Value("tributary.flows.packets"));
        metrics.Remove(first);
        using var redo = new MonitorContext();
        metrics.Add(redo);
        Feed(redo, 60);
        Assert.Equal(100, MetricReadings.Collect(metrics.Meter).Value("tributary.flows.packets"));
        Feed(redo, 90); // 150 frames in all
        Assert.Equal(150, MetricReadings.Collect(metrics.Meter).Value("tributary.flows.packets"));
        Assert.Equal(0, MetricReadings.Collect(metrics.Meter).Value("tributary.flows.active") - redo.ActiveFlows);
    }

    private static void Feed(MonitorContext context, int frames)
    {
        using PacketSource source = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap"));
        for (long skip = context.Statistics.Packets; skip > 0 && source.TryReadNext(out _); skip--)
        {
        }
        for (int i = 0; i < frames && source.TryReadNext(out Packet p); i++)
            context.ProcessPacket(p.Data, (int)p.LinkType, p.TimestampNanoseconds / 1000, p.OriginalLength, p.Flags);
    }
}
