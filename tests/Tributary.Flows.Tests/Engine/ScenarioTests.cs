using Tributary.Flows.Applications.Trace;
using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Conn;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Engine;

/// <summary>
/// The SCENARIOS.md cases whose traces are not in the reference set (S08, S09, S12, S13, S18, S23), built packet by
/// packet and checked line by line, plus the default-mode switches of DEVIATIONS.md the reference traces do not cover.
/// </summary>
public sealed class ScenarioTests
{
    private static readonly TraceOptions Dump = new() { Dump = true, ShowBuffers = true };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void S08_partial_retransmission_raises_REXMIT_and_delivers_only_the_new_bytes(bool compat)
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 1001, 5001, Bytes('A', 100)))
            .Add(C(Psh | Ack, 1051, 5001, [.. Bytes('A', 50), .. Bytes('C', 50)]));
        string[] lines = RunTracer(f, compat, Dump);
        string[] f5 = Frame(lines, 5);
        Assert.StartsWith("    HK_RCV sock=1 side=SVR REXMIT ", f5[1], StringComparison.Ordinal);
        Assert.Contains(f5, l => l.Contains("HK_RCV sock=1 side=SVR PKT_IN", StringComparison.Ordinal) && l.Contains("ppeek-dump(SVR): @0:A*100C*50", StringComparison.Ordinal));
        Assert.EndsWith(">> peek(SVR)=50 \"" + new string('C', 50) + "\"", f5[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void S09_out_of_order_segment_is_delivered_when_the_hole_fills(bool compat)
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 1101, 5001, Bytes('B', 100)))
            .Add(C(Psh | Ack, 1001, 5001, Bytes('A', 100)));
        string[] lines = RunTracer(f, compat, Dump);
        string[] f4 = Frame(lines, 4);
        Assert.DoesNotContain(f4, l => l.Contains("CONN_NEW_DATA", StringComparison.Ordinal));
        Assert.Contains(f4, l => l.Contains("SVRBUF{r=0 e=0 rcv=200 frags=[100,+100)}", StringComparison.Ordinal) && l.Contains("@100:B*100", StringComparison.Ordinal));
        string[] f5 = Frame(lines, 5);
        Assert.Contains(f5, l => l.Contains("frags=[0,+200)", StringComparison.Ordinal));
        Assert.EndsWith($">> peek(SVR)=200 \"{new string('A', 60)}\"", f5[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "@0:a*10X*10c*10", "peek(SVR)=20 \"XXXXXXXXXXcccccccccc\"")]
    [InlineData(true, "@0:a*10X*20", "peek(SVR)=20 \"XXXXXXXXXXXXXXXXXXXX\"")]
    public void S12_overlap_spanning_a_hole_first_versus_last(bool last, string dump, string peek)
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 1001, 5001, Bytes('a', 10)))
            .Add(C(Psh | Ack, 1021, 5001, Bytes('c', 10)))
            .Add(C(Psh | Ack, 1011, 5001, Bytes('X', 20)))
            .Add(C(Psh | Ack, 1031, 5001, Bytes('d', 10)));
        // Default mode: the policy can be set at any time (B13), here from the first HK_RCV PKT_IN on.
        string[] lines = RunTracer(f, compat: false, Dump with { OverlapLast = last });
        string[] f6 = Frame(lines, 6);
        Assert.StartsWith("    HK_RCV sock=1 side=SVR REXMIT ", f6[1], StringComparison.Ordinal); // overlaps the OOO fragment
        Assert.Contains(f6, l => l.Contains(dump, StringComparison.Ordinal));
        Assert.EndsWith(peek, f6[^1], StringComparison.Ordinal);
        Assert.EndsWith("peek(SVR)=10 \"dddddddddd\"", Frame(lines, 7)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void S13_data_and_FIN_in_one_segment_and_FIN_WAIT_2_skipped()
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 1001, 5001, Text("one")))
            .Add(C(Psh | Ack, 1004, 5001, Text("two")))
            .Add(C(Fin | Psh | Ack, 1007, 5001, Text("three")))
            .Add(S(Fin | Ack, 5001, 1013))
            .Add(C(Ack, 1013, 5002));
        string[] lines = RunTracer(f, compat: true);
        Assert.Equal(
        [
            "    HK_SND sock=1 side=CLI PKT_IN cli=FIN_WAIT_1 svr=ESTABLISHED",
            "    HK_SND sock=1 side=CLI TCP_STATE_CHANGE cli=FIN_WAIT_1 svr=ESTABLISHED",
            "    HK_RCV sock=1 side=SVR PKT_IN cli=FIN_WAIT_1 svr=CLOSE_WAIT",
            "    HK_RCV sock=1 side=SVR TCP_STATE_CHANGE cli=FIN_WAIT_1 svr=CLOSE_WAIT",
            "    NULL sock=1 side=SVR CONN_NEW_DATA cli=FIN_WAIT_1 svr=CLOSE_WAIT  >> peek(SVR)=5 \"three\"",
        ], Frame(lines, 6));
        Assert.Equal(
        [
            "    HK_SND sock=1 side=SVR PKT_IN cli=FIN_WAIT_1 svr=LAST_ACK",
            "    HK_SND sock=1 side=SVR TCP_STATE_CHANGE cli=FIN_WAIT_1 svr=LAST_ACK",
            "    HK_RCV sock=1 side=CLI PKT_IN cli=TIME_WAIT svr=LAST_ACK",
            "    HK_RCV sock=1 side=CLI TCP_STATE_CHANGE cli=TIME_WAIT svr=LAST_ACK",
        ], Frame(lines, 7));
        Assert.Contains("    HK_RCV sock=1 side=SVR TCP_STATE_CHANGE cli=TIME_WAIT svr=CLOSED", Frame(lines, 8));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void S18_SYN_ACK_retransmission_is_a_REXMIT_on_the_client_side(bool compat)
    {
        ListFrameSource f = new ListFrameSource()
            .Add(C(Syn, 1000, 0))
            .Add(S(Syn | Ack, 5000, 1001))
            .Add(S(Syn | Ack, 5000, 1001))
            .Add(C(Ack, 1001, 5001));
        Assert.Equal(
        [
            "    HK_SND sock=1 side=SVR PKT_IN cli=ESTABLISHED svr=SYN_RCVD",
            "    HK_RCV sock=1 side=CLI PKT_IN cli=ESTABLISHED svr=SYN_RCVD",
            "    HK_RCV sock=1 side=CLI REXMIT cli=ESTABLISHED svr=SYN_RCVD",
        ], Frame(RunTracer(f, compat), 3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void S23_hole_larger_than_the_window_raises_ERROR_between_the_hooks(bool compat)
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 21001, 5001, Bytes('Z', 100)))
            .Add(C(Psh | Ack, 1001, 5001, Bytes('A', 100)));
        string[] lines = RunTracer(f, compat);
        Assert.Equal(
        [
            "    HK_SND sock=1 side=CLI PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
            "    NULL sock=1 side=SVR ERROR cli=ESTABLISHED svr=ESTABLISHED",
            "    HK_RCV sock=1 side=SVR PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
        ], Frame(lines, 4));
        Assert.EndsWith("peek(SVR)=100 \"" + new string('A', 60) + "\"", Frame(lines, 5)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void N4_partial_overlap_without_buffers_is_a_REXMIT_by_sequence_space()
    {
        ListFrameSource f = Handshake()
            .Add(C(Psh | Ack, 1001, 5001, Bytes('A', 100)))
            .Add(C(Psh | Ack, 1201, 5001, Bytes('B', 100)))   // out of order: [200,300)
            .Add(C(Psh | Ack, 1251, 5001, Bytes('C', 100)))   // overlaps the out-of-order range
            .Add(C(Psh | Ack, 1101, 5001, Bytes('D', 100)))   // fills the hole: new bytes only
            .Add(C(Ack, 1101, 5001))                          // no payload: never a retransmission
            .Add(C(Psh | Ack, 1351, 5001, Bytes('E', 50)));   // new (everything below 350 arrived)
        string[] lines = RunTracer(f, compat: false, new TraceOptions { NoBuffers = true });
        Assert.DoesNotContain(Frame(lines, 4), l => l.Contains("REXMIT", StringComparison.Ordinal));
        Assert.DoesNotContain(Frame(lines, 5), l => l.Contains("REXMIT", StringComparison.Ordinal));
        Assert.Contains("    HK_RCV sock=1 side=SVR REXMIT cli=ESTABLISHED svr=ESTABLISHED", Frame(lines, 6));
        Assert.DoesNotContain(Frame(lines, 7), l => l.Contains("REXMIT", StringComparison.Ordinal));
        Assert.DoesNotContain(Frame(lines, 8), l => l.Contains("REXMIT", StringComparison.Ordinal));
        Assert.DoesNotContain(Frame(lines, 9), l => l.Contains("REXMIT", StringComparison.Ordinal));
        // MosCompat: an unbuffered side never detects data retransmissions (B26).
        Assert.DoesNotContain(RunTracer(f, compat: true, new TraceOptions { NoBuffers = true }), l => l.Contains("REXMIT", StringComparison.Ordinal));
    }

    [Fact]
    public void B11_ValidateRst_ignores_an_out_of_window_RST_and_raises_ERROR()
    {
        ListFrameSource f = Handshake()
            .Add(S(Rst | Ack, 99999, 1001))
            .Add(S(Rst | Ack, 5001, 1001));
        string[] lines = RunTracer(f, context: new MonitorContextOptions { ValidateRst = true });
        Assert.Equal(
        [
            "    HK_SND sock=1 side=SVR PKT_IN cli=ESTABLISHED svr=CLOSED",
            "    HK_SND sock=1 side=SVR TCP_STATE_CHANGE cli=ESTABLISHED svr=CLOSED",
            "    NULL sock=1 side=CLI ERROR cli=ESTABLISHED svr=CLOSED",
            "    HK_RCV sock=1 side=CLI PKT_IN cli=ESTABLISHED svr=CLOSED",
        ], Frame(lines, 4));
        Assert.Contains("    HK_RCV sock=1 side=CLI CONN_END cli=CLOSED svr=CLOSED", Frame(lines, 5));
        Assert.Throws<ArgumentException>(() => new MonitorContext(new MonitorContextOptions { MosCompat = true, ValidateRst = true }));
    }

    [Fact]
    public void B27_ReportChecksumErrors_raises_ERROR_without_state_change()
    {
        ListFrameSource f = Handshake()
            .Add(Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Psh | Ack, 1001, 5001, Text("bad"), badChecksum: true));
        Assert.Equal(["    NULL sock=1 side=SVR ERROR cli=ESTABLISHED svr=ESTABLISHED"],
            Frame(RunTracer(f, context: new MonitorContextOptions { ReportChecksumErrors = true }), 4));
        Assert.Empty(Frame(RunTracer(Handshake().Add(Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Psh | Ack, 1001, 5001, Text("bad"), badChecksum: true))), 4));
    }

    [Fact]
    public void B33_AdoptMidstream_creates_flows_from_packets_whose_SYN_was_missed()
    {
        static ListFrameSource Midstream() => new ListFrameSource()
            .Add(C(Psh | Ack, 1001, 5001, Text("hello")))
            .Add(S(Ack, 5001, 1006))
            .Add(S(Psh | Ack, 5001, 1006, Text("world")));
        string[] lines = RunTracer(Midstream(), context: new MonitorContextOptions { AdoptMidstream = true });
        Assert.Equal(
        [
            "    HK_SND sock=1 side=CLI PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
            "    HK_RCV sock=1 side=SVR PKT_IN cli=ESTABLISHED svr=ESTABLISHED",
            "    NULL sock=1 side=SVR CONN_NEW_DATA cli=ESTABLISHED svr=ESTABLISHED  >> peek(SVR)=5 \"hello\"",
        ], Frame(lines, 1));
        Assert.EndsWith(">> peek(CLI)=5 \"world\"", Frame(lines, 3)[^1], StringComparison.Ordinal);
        // Default without the option: orphans, as mOS (S20).
        Assert.All(Frame(RunTracer(Midstream()), 1), l => Assert.Contains("ORPHAN", l, StringComparison.Ordinal));
    }

    [Fact]
    public void B16_default_mode_tracks_VLAN_QinQ_and_IPv6_like_untagged_IPv4()
    {
        foreach ((string c, string s, ushort[]? tags) in new (string, string, ushort[]?)[]
                 {
                     ("10.0.0.1", "10.0.0.2", [100]), ("10.0.0.1", "10.0.0.2", [10, 20]), ("2001:db8::1", "2001:db8::2", null),
                 })
        {
            ListFrameSource f = new ListFrameSource()
                .Add(Tcp(c, 40000, s, 80, Syn, 1000, 0, vlans: tags))
                .Add(Tcp(s, 80, c, 40000, Syn | Ack, 5000, 1001, vlans: tags))
                .Add(Tcp(c, 40000, s, 80, Ack, 1001, 5001, vlans: tags))
                .Add(Tcp(c, 40000, s, 80, Psh | Ack, 1001, 5001, Text("GET /"), vlans: tags));
            string[] lines = RunTracer(f);
            Assert.Contains("    HK_RCV sock=1 side=SVR TCP_STATE_CHANGE cli=ESTABLISHED svr=ESTABLISHED", Frame(lines, 3));
            Assert.EndsWith(">> peek(SVR)=5 \"GET /\"", Frame(lines, 4)[^1], StringComparison.Ordinal);
            // MosCompat: only the frame lines (mOS ignores everything but untagged IPv4).
            string[] compat = RunTracer(f, compat: true);
            Assert.Equal(f.Count, compat.Count(l => l.StartsWith("=== ", StringComparison.Ordinal)));
            Assert.DoesNotContain(compat, l => l.StartsWith("    ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void B3b_data_beyond_FIN_is_an_ERROR_also_without_buffers()
    {
        ListFrameSource f = Handshake()
            .Add(C(Fin | Ack, 1001, 5001))
            .Add(C(Psh | Ack, 1002, 5001, Text("late")));
        Assert.Contains("    NULL sock=1 side=SVR ERROR cli=FIN_WAIT_1 svr=CLOSE_WAIT", Frame(RunTracer(f, options: new TraceOptions { NoBuffers = true }), 5));
    }

    [Fact]
    public void B25_lost_bytes_are_exposed_per_socket_and_side()
    {
        var ctx = new MonitorContext(new MonitorContextOptions { ReceiveBufferSize = 1024 });
        MonitorSocket l = ctx.CreateStreamListener();
        MonitorSocket? flow = null;
        l.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Send, (c, s, d, e) => flow = s);
        long t = 1_000_000;
        foreach (byte[] frame in new[] { C(Syn, 1000, 0), S(Syn | Ack, 5000, 1001), C(Ack, 1001, 5001) })
            ctx.ProcessPacket(frame, 1, t += 1000);
        for (uint i = 0; i < 10; i++)
            ctx.ProcessPacket(C(Psh | Ack, 1001 + 200 * i, 5001, Bytes((char)('A' + i), 200)), 1, t += 1000);
        Span<byte> buf = stackalloc byte[4096];
        int r = flow!.Peek(Side.Server, buf, out MonitorError e);
        Assert.Equal(MonitorError.NoData, e);
        Assert.Equal(-976, r); // 2000 bytes into a 1024-byte ring: the first 976 were overwritten unpeeked
        Assert.Equal(976, flow.GetLostBytes(Side.Server));
        Assert.Equal(1024, flow.Peek(Side.Server, buf));
        Assert.Equal(0, flow.Peek(Side.Server, buf)); // B1: nothing new → 0
    }
}
