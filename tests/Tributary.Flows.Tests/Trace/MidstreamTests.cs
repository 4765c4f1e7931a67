using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Stats;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Trace;

/// <summary>
/// <c>--midstream</c> on <c>flows trace</c> and <c>flows stats</c> (DEVIATIONS B33, <see cref="MonitorContextOptions.AdoptMidstream"/>):
/// flows whose SYN was not seen are tracked from their first packet instead of staying orphans, as S20 shows mOS does.
/// </summary>
public sealed class MidstreamTests
{
    private static string Midstream => Path.Combine(TraceRunner.MosDirectory, "pcaps", "11_midstream.pcap");

    [Fact]
    public void Trace_adopts_the_flow_at_its_first_packet()
    {
        TraceRunner.Result r = TraceRunner.Run([Midstream, "--midstream", "--no-preamble"]);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Output.Split('\n');
        Assert.Equal(
        [
            "=== #1 10.0.0.1:40000>10.0.0.2:80 [PA] seq=1001 ack=5001 len=100  (fwd:0)",
            "    HK_SND sock=1 side=CLI PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
            "    HK_RCV sock=1 side=SVR PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
        ], lines[..3]);
        Assert.Contains("    HK_RCV sock=1 side=SVR TCP_STATE_CHANGE cli=FIN_WAIT_1 svr=CLOSE_WAIT", lines);
        Assert.DoesNotContain(lines, l => l.Contains("ORPHAN", StringComparison.Ordinal));

        // Without the option the three packets are orphans, as in mOS's trace (S20).
        TraceRunner.Result plain = TraceRunner.Run([Midstream, "--no-preamble"]);
        Assert.Equal(3, plain.Output.Split('\n').Count(l => l.Contains(" ORPHAN ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Trace_refuses_midstream_with_mos_compat()
    {
        TraceRunner.Result r = TraceRunner.Run([Midstream, "--midstream", "--mos-compat"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Output);
        Assert.Equal("--midstream cannot be combined with --mos-compat: mOS never picks up a flow mid-stream (DEVIATIONS B33)", r.Error);
    }

    [Fact]
    public void Stats_counts_the_flow_instead_of_orphans()
    {
        ProcessResult plain = ProcessRunner.Run(Launcher.Path, ["flows", "stats", Midstream]);
        ProcessResult adopted = ProcessRunner.Run(Launcher.Path, ["flows", "stats", "--midstream", Midstream]);
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(0, adopted.ExitCode);
        Assert.StartsWith("packets 3\ntcp_packets 3\nflows 0\norphans 3\n", plain.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("packets 3\ntcp_packets 3\nflows 1\norphans 0\n", adopted.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\nstate open:FIN_WAIT_1/CLOSE_WAIT 1\n", adopted.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_started_late_gives_the_same_totals_in_shards()
    {
        // The seed capture without its first 3,000 frames: connections already open then have no SYN.
        string path = Path.Combine(Path.GetTempPath(), $"flows-late-{Environment.ProcessId}.pcap");
        try
        {
            using (PacketSource seed = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap")))
            using (var w = new PcapWriter(File.Create(path), LinkType.Ethernet))
            {
                for (int n = 0; seed.TryReadNext(out Packet p); n++)
                {
                    if (n >= 3_000)
                        w.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
                }
            }
            FlowStatisticsResult plain = new FlowStatistics(new FlowStatisticsOptions()).Run(path);
            FlowStatisticsResult one = new FlowStatistics(new FlowStatisticsOptions { AdoptMidstream = true }).Run(path);
            FlowStatisticsResult two = new FlowStatistics(new FlowStatisticsOptions { AdoptMidstream = true, Threads = 2, ChunkBytes = 4096 }).Run(path);
            Assert.True(plain.Orphans > 100, $"{plain.Orphans} orphans"); // the late capture does lose the SYNs
            Assert.Equal(0, one.Orphans);
            Assert.True(one.Flows > plain.Flows);
            Assert.Equal(one.Flows, one.FinalStates.Values.Sum());
            Assert.Equal("chunked", two.Strategy);
            Assert.Equal(one.Flows, two.Flows);
            Assert.Equal(one.Orphans, two.Orphans);
            Assert.Equal(one.Retransmissions, two.Retransmissions);
            Assert.Equal(one.FinalStates, two.FinalStates);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
