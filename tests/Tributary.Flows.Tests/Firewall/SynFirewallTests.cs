using Tributary.Flows.Applications.Firewall;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Firewall;

/// <summary>The firewall on the engine, frame by frame (SAMPLES.md §2; DEVIATIONS B8, B30; SCENARIOS S39).</summary>
public sealed class SynFirewallTests
{
    private const long T0 = 1_700_000_000_000_000L;

    private sealed class Box
    {
        public readonly MonitorContext Context;
        public readonly SynFirewall Firewall;
        public readonly List<byte[]> Forwarded = [];

        public Box(string rules, bool compat = false)
        {
            Context = new MonitorContext(new MonitorContextOptions { MosCompat = compat, Forward = true, MaxConcurrency = 1024 });
            Firewall = new SynFirewall(Context, FirewallRuleSet.Parse(rules, "test.conf"));
            Context.ForwardSink = (frame, _) => Forwarded.Add(frame.ToArray());
        }

        private long _us = T0;

        public Box Feed(params byte[][] frames)
        {
            foreach (byte[] f in frames)
                Context.ProcessPacket(f, 1, _us += 1000);
            return this;
        }

        public long[] Hits => Enumerable.Range(0, Firewall.Rules.Count).Select(Firewall.GetHits).ToArray();
    }

    private static byte[] Syn(ushort dport, ushort sport = 40000, uint seq = 1000) =>
        Frames.Tcp("10.0.0.1", sport, "10.0.0.2", dport, Frames.Syn, seq, 0);

    private static byte[] SynAck(ushort dport, ushort sport = 40000) =>
        Frames.Tcp("10.0.0.2", dport, "10.0.0.1", sport, Frames.Syn | Frames.Ack, 5000, 1001);

    private static byte[] C(ushort dport, byte flags, uint seq, uint ack, string data = "") =>
        Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", dport, flags, seq, ack, Frames.Text(data));

    private static byte[] S(ushort dport, byte flags, uint seq, uint ack, string data = "") =>
        Frames.Tcp("10.0.0.2", dport, "10.0.0.1", 40000, flags, seq, ack, Frames.Text(data));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_DROP_rule_drops_the_SYN_and_every_retransmission_of_it(bool compat)
    {
        var box = new Box("DROP 10.0.0.0/24 10.0.0.2 dport:80", compat);
        box.Feed(Syn(80));
        Assert.Equal(1, box.Context.Statistics.Dropped);
        Assert.Empty(box.Forwarded);
        Assert.Equal([1L], box.Hits);
        // S39: the retransmitted SYN hits the rule again, through the half-open flow (compat) or a new one (B30).
        box.Feed(Syn(80), Syn(80));
        Assert.Equal(3, box.Context.Statistics.Dropped);
        Assert.Empty(box.Forwarded);
        Assert.Equal([3L], box.Hits);
        Assert.Equal(3, box.Firewall.DroppedSyns);
        // B30: the default leaves no half-open flow behind; mOS keeps it until the idle timeout.
        Assert.Equal(compat ? 1 : 0, box.Context.ActiveFlows);
    }

    [Fact]
    public void Accepted_and_unmatched_connections_pass_whole()
    {
        var box = new Box("ACCEPT 10.0.0.1 10.0.0.2 dport:80\nDROP 10.0.0.1 10.0.0.2 dport:81");
        byte[][] flow80 = [Syn(80), SynAck(80), C(80, Frames.Ack, 1001, 5001), C(80, Frames.Ack | Frames.Psh, 1001, 5001, "hi"), S(80, Frames.Ack, 5001, 1003)];
        byte[][] flow82 = [Syn(82), SynAck(82), C(82, Frames.Ack, 1001, 5001)];
        box.Feed(flow80).Feed(flow82);
        Assert.Equal(flow80.Concat(flow82), box.Forwarded);
        Assert.Equal(0, box.Context.Statistics.Dropped);
        Assert.Equal([1L, 0L], box.Hits);
        Assert.Equal(1, box.Firewall.DefaultAccepts);
    }

    [Fact]
    public void The_first_matching_rule_decides()
    {
        var box = new Box("""
            ACCEPT 10.0.0.1 10.0.0.2 dport:80
            DROP   0.0.0.0  0.0.0.0
            ACCEPT 10.0.0.1 10.0.0.2 dport:81
            """);
        box.Feed(Syn(80), Syn(81, sport: 40001), Syn(82, sport: 40002));
        Assert.Equal([Syn(80)], box.Forwarded);
        Assert.Equal([1L, 2L, 0L], box.Hits);
        Assert.Equal(0, box.Firewall.DefaultAccepts);
    }

    [Fact]
    public void Only_SYNs_are_policed_orphans_pass_untouched()
    {
        var box = new Box("DROP 0.0.0.0 0.0.0.0");
        byte[][] midstream = [C(80, Frames.Ack | Frames.Psh, 1001, 5001, "x"), S(80, Frames.Ack, 5001, 1002), SynAck(80)];
        box.Feed(midstream);
        Assert.Equal(midstream, box.Forwarded);
        Assert.Equal([0L], box.Hits);
        Assert.Equal(3, box.Context.Statistics.Orphans);
    }

    [Fact]
    public void A_SYN_with_a_bad_TCP_checksum_is_not_policed_and_passes()
    {
        // S27: the engine forwards it without events, as mOS does (README: replays of offloaded captures).
        var box = new Box("DROP 0.0.0.0 0.0.0.0");
        byte[] bad = Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, 1000, 0, badChecksum: true);
        box.Feed(bad);
        Assert.Equal([bad], box.Forwarded);
        Assert.Equal([0L], box.Hits);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_accepted_flow_is_no_longer_monitored_except_as_mOS_does(bool compat)
    {
        var box = new Box("ACCEPT 10.0.0.1 10.0.0.2 dport:80", compat);
        var seen = new List<string>();
        box.Firewall.Listener.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) =>
        {
            Assert.True(c.TryGetLastPacket(out PacketView p));
            seen.Add($"{p.TcpFlags:x2}/{p.Sequence}");
        });
        box.Feed(Syn(80), SynAck(80), C(80, Frames.Ack, 1001, 5001), C(80, Frames.Ack | Frames.Psh, 1001, 5001, "hi"), Syn(80));
        if (compat)
        {
            // B8: MOS_STOP_MON with BOTH is a no-op: every packet is still dispatched, and the filter still runs
            // (the last SYN, a retransmission inside the open flow, is counted again).
            Assert.Equal(["02/1000", "12/5000", "10/1001", "18/1001", "02/1000"], seen);
            Assert.Equal([2L], box.Hits);
        }
        else
        {
            // Stopped at the SYN's Send hook: nothing of the flow is dispatched any more.
            Assert.Empty(seen);
            Assert.Equal([1L], box.Hits);
        }
        Assert.Equal(5, box.Forwarded.Count);
    }

    [Fact]
    public void The_table_has_simple_firewalls_format()
    {
        var box = new Box("""
            DROP    10.0.0.0/24  10.0.0.0/24  dport:80
            ACCEPT  10.0.1.7     10.0.1.9     sport:1024
            ACCEPT  10.0.2.7     10.0.2.9
            DROP    0.0.0.0      0.0.0.0      sport:1 dport:65535
            DROP    2001:db8::/32 ::
            """);
        box.Feed(Syn(80), Syn(80), Syn(80, sport: 40001));
        var w = new StringWriter();
        box.Firewall.WriteTable(w);
        string dashes = new('-', 71);
        Assert.Equal(
            dashes + "\n" +
            "Firewall rule table\n" +
            "idx   flows   target   client             server             port\n" +
            "1     3       DROP     10.0.0.0/24        10.0.0.0/24        dport:80    \n" +
            "2     0       ACCEPT   10.0.1.7           10.0.1.9           sport:1024  \n" +
            "3     0       ACCEPT   10.0.2.7           10.0.2.9           \n" +
            "4     0       DROP     0.0.0.0            0.0.0.0            sport:1     dport:65535 \n" +
            "5     0       DROP     2001:db8::/32      ::                 \n" +
            dashes + "\n", w.ToString());
    }

    [Fact]
    public void The_table_is_printed_every_interval_of_the_capture_clock()
    {
        var box = new Box("DROP 0.0.0.0 0.0.0.0 dport:80");
        var w = new StringWriter();
        box.Firewall.PrintEvery(TimeSpan.FromSeconds(1), w);
        var frames = new ListFrameSource()
            .Add(Syn(80), T0)
            .Add(Syn(80), T0 + 500_000)
            .Add(Syn(80), T0 + 1_500_000)     // after the first table (due at T0 + 1 s - 1 µs)
            .Add(Syn(81), T0 + 3_200_000)     // after the second; the third interval had no packet: no table
            .Add(Syn(80), T0 + 4_100_000);    // the fourth table, due at T0 + 4 s - 1 µs, comes before it
        long last = box.Context.Run(frames);
        box.Context.Finish(last);
        string[] tables = w.ToString().Split("Firewall rule table\n")[1..];
        Assert.Equal(3, tables.Length);
        Assert.Equal(["2", "3", "3"], tables.Select(t => t.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
    }
}
