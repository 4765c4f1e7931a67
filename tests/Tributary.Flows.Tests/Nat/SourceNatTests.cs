using System.Net;
using Tributary.Flows.Applications.Nat;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Nat;

/// <summary>
/// <see cref="SourceNat"/> on hand-built frames through an inline context (SAMPLES.md §3): what leaves the box, with
/// checksums checked independently; the first-SYN rekey; ports per flow, their release and reuse; exhaustion; IPv6.
/// </summary>
public sealed class SourceNatTests
{
    private const string Client = "10.0.0.1", Server = "10.0.0.2", NatIp = "10.99.0.100";

    /// <summary>An inline context with a NAT; <see cref="Send"/> returns what it forwarded.</summary>
    private sealed class Box : IDisposable
    {
        private readonly List<byte[]> _forwarded = [];
        private readonly bool _writable;
        private long _us = 1_700_000_000_000_000L;

        public Box(bool mosCompat = false, bool writable = true, ushort lastPort = SourceNat.LastPort)
        {
            _writable = writable;
            Context = new MonitorContext(new MonitorContextOptions { Forward = true, MosCompat = mosCompat });
            Nat = new SourceNat(Context, IPAddress.Parse(NatIp), SourceNat.FirstPort, lastPort);
            Context.ForwardSink = (frame, _) => _forwarded.Add(frame.ToArray());
        }

        public MonitorContext Context { get; }
        public SourceNat Nat { get; }

        /// <summary>The IPv4 frame as forwarded, or null when it was dropped.</summary>
        public NatFrames.Segment? Send(byte[] frame) => Process(frame) ? NatFrames.Read(_forwarded[^1]) : null;

        /// <summary>True when the frame was forwarded (<see cref="LastForwardedBytes"/>).</summary>
        public bool Process(byte[] frame)
        {
            int before = _forwarded.Count;
            _us += 1000;
            if (_writable)
                Context.ProcessWritablePacket(frame, 1, _us);
            else
                Context.ProcessPacket(frame, 1, _us);
            return _forwarded.Count != before;
        }

        public byte[] LastForwardedBytes => _forwarded[^1];

        public void Wait(TimeSpan span) => Context.AdvanceClock(_us += (long)span.TotalMicroseconds);

        public void Dispose() => Context.Dispose();
    }

    private static byte[] C(ushort sport, byte flags, uint seq, uint ack, string? data = null) =>
        Tcp(Client, sport, Server, 80, flags, seq, ack, data is null ? default : Text(data));

    /// <summary>From the server to the translated client.</summary>
    private static byte[] S(ushort natPort, byte flags, uint seq, uint ack, string? data = null) =>
        Tcp(Server, 80, NatIp, natPort, flags, seq, ack, data is null ? default : Text(data));

    private static NatFrames.Segment Forwarded(NatFrames.Segment? s)
    {
        Assert.NotNull(s);
        Assert.True(s.IpChecksumValid, "IPv4 header checksum");
        Assert.True(s.TcpChecksumValid, "TCP checksum");
        return s;
    }

    [Fact]
    public void The_first_SYN_leaves_with_the_NAT_address_a_pool_port_and_valid_checksums()
    {
        using var box = new Box();
        NatFrames.Segment syn = Forwarded(box.Send(C(40000, Syn, 1000, 0)));
        Assert.Equal($"{NatIp}:1025", syn.From);
        Assert.Equal($"{Server}:80", syn.To);
        Assert.Equal((Syn, 1000u), (syn.Flags, syn.Sequence));
        Assert.Equal((1L, 1, 0L), (box.Nat.TranslatedFlows, box.Nat.PortsInUse, box.Nat.DroppedPackets));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)] // a read-only frame: the rewrite works on the engine's private copy
    [InlineData(true, true)]   // MosCompat: the rekey is mOS's own ordering, so it holds there too
    public void A_whole_connection_is_translated_both_ways_and_its_port_returns_at_the_end(bool mosCompat, bool writable)
    {
        using var box = new Box(mosCompat, writable);
        Assert.Equal($"{NatIp}:1025", Forwarded(box.Send(C(40000, Syn, 1000, 0))).From);

        // The server answers the translated tuple: the flow's server side was keyed by the rewritten SYN.
        NatFrames.Segment synAck = Forwarded(box.Send(S(1025, Syn | Ack, 5000, 1001)));
        Assert.Equal(($"{Server}:80", $"{Client}:40000"), (synAck.From, synAck.To));
        Assert.Equal((5000u, 1001u), (synAck.Sequence, synAck.Acknowledgment));
        Assert.Equal(0, box.Context.Statistics.Orphans);

        var rest = new (byte[] Frame, bool FromClient)[]
        {
            (C(40000, Ack, 1001, 5001), true), (C(40000, Psh | Ack, 1001, 5001, "GET /"), true),
            (S(1025, Psh | Ack, 5001, 1006, "OK"), false), (C(40000, Fin | Ack, 1006, 5003), true),
            (S(1025, Fin | Ack, 5003, 1007), false), (C(40000, Ack, 1007, 5004), true),
        };
        foreach ((byte[] frame, bool fromClient) in rest)
        {
            NatFrames.Segment s = Forwarded(box.Send(frame));
            if (fromClient)
                Assert.Equal(($"{NatIp}:1025", $"{Server}:80"), (s.From, s.To));
            else
                Assert.Equal(($"{Server}:80", $"{Client}:40000"), (s.From, s.To));
        }
        // Both sides saw the close through the translated packets: the flow is gone and its port free (once).
        Assert.Equal((0, 0L, 1L), (box.Context.ActiveFlows, box.Context.Statistics.Orphans, box.Context.Statistics.Destroyed));
        Assert.Equal((1L, 0, 0L), (box.Nat.TranslatedFlows, box.Nat.PortsInUse, box.Nat.DroppedPackets));
    }

    [Fact]
    public void The_payload_is_kept_and_the_checksum_covers_it()
    {
        using var box = new Box();
        box.Send(C(40000, Syn, 1000, 0));
        box.Send(S(1025, Syn | Ack, 5000, 1001));
        box.Send(C(40000, Ack, 1001, 5001));
        Forwarded(box.Send(C(40000, Psh | Ack, 1001, 5001, "odd-length")));
        Assert.EndsWith("odd-length", System.Text.Encoding.ASCII.GetString(box.LastForwardedBytes), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Only_the_translated_tuple_reaches_the_server_side(bool mosCompat)
    {
        // The proof that the server side is keyed after the rewrite: a reply to the client's own address finds no flow.
        // It is an orphan: dropped, or with MosCompat forwarded untouched, as mOS does.
        using var box = new Box(mosCompat);
        box.Send(C(40000, Syn, 1000, 0));
        NatFrames.Segment? stray = box.Send(Tcp(Server, 80, Client, 40000, Syn | Ack, 5000, 1001));
        Assert.Equal(mosCompat ? $"{Client}:40000" : null, stray?.To);
        Assert.Equal(mosCompat ? 0 : 1, box.Nat.DroppedOrphans);
        Assert.Equal(1, box.Context.Statistics.Orphans);
        Forwarded(box.Send(S(1025, Syn | Ack, 5000, 1001)));
        Assert.Equal(1, box.Context.Statistics.Orphans);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_late_retransmission_after_the_close_does_not_leave_with_the_inside_address(bool mosCompat)
    {
        // The connection closes and its flow goes; then the client's FIN comes again (its ACK of the server's FIN was
        // lost). There is no port to translate it with: sent as it is, it would show the inside address outside.
        using var box = new Box(mosCompat);
        foreach (byte[] frame in new[]
        {
            C(40000, Syn, 1000, 0), S(1025, Syn | Ack, 5000, 1001), C(40000, Ack, 1001, 5001), C(40000, Fin | Ack, 1001, 5001),
            S(1025, Fin | Ack, 5001, 1002), C(40000, Ack, 1002, 5002),
        })
        {
            Forwarded(box.Send(frame));
        }
        Assert.Equal(0, box.Context.ActiveFlows);
        NatFrames.Segment? late = box.Send(C(40000, Fin | Ack, 1001, 5001));
        if (mosCompat)
            Assert.Equal($"{Client}:40000", late?.From); // mOS: the orphan goes out untranslated
        else
            Assert.Null(late);
        Assert.Equal(mosCompat ? 0 : 1, box.Nat.DroppedOrphans);
    }

    [Fact]
    public void A_retransmitted_SYN_keeps_its_port()
    {
        using var box = new Box();
        Assert.Equal(1025, Forwarded(box.Send(C(40000, Syn, 1000, 0))).SourcePort);
        Assert.Equal(1025, Forwarded(box.Send(C(40000, Syn, 1000, 0))).SourcePort);
        Assert.Equal((1L, 1), (box.Nat.TranslatedFlows, box.Nat.PortsInUse));
    }

    [Fact]
    public void Concurrent_flows_get_different_ports_and_their_replies_go_to_their_own_clients()
    {
        using var box = new Box();
        Assert.Equal(1025, Forwarded(box.Send(C(40000, Syn, 1000, 0))).SourcePort);
        Assert.Equal(1026, Forwarded(box.Send(C(40001, Syn, 7000, 0))).SourcePort);
        Assert.Equal($"{Client}:40001", Forwarded(box.Send(S(1026, Syn | Ack, 9000, 7001))).To);
        Assert.Equal($"{Client}:40000", Forwarded(box.Send(S(1025, Syn | Ack, 5000, 1001))).To);
        Assert.Equal(1026, Forwarded(box.Send(C(40001, Ack, 7001, 9001))).SourcePort);
        Assert.Equal(1025, Forwarded(box.Send(C(40000, Ack, 1001, 5001))).SourcePort);
        Assert.Equal((2L, 2, 2), (box.Nat.TranslatedFlows, box.Nat.PortsInUse, box.Context.ActiveFlows));
    }

    [Fact]
    public void A_port_is_reused_after_its_flow_ends_first_free_first()
    {
        using var box = new Box(lastPort: 1026); // two ports
        box.Send(C(40000, Syn, 1000, 0));
        box.Send(S(1025, Syn | Ack, 5000, 1001));
        box.Send(C(40001, Syn, 7000, 0));
        // The server resets the first flow: ConnectionEnd (once per side) returns 1025 once.
        Assert.Equal($"{Client}:40000", Forwarded(box.Send(S(1025, Rst | Ack, 5001, 1001))).To);
        Assert.Equal((1, 1), (box.Nat.PortsInUse, box.Context.ActiveFlows));
        Assert.Equal(1025, Forwarded(box.Send(C(40002, Syn, 3000, 0))).SourcePort);
        Assert.Equal($"{Client}:40002", Forwarded(box.Send(S(1025, Syn | Ack, 6000, 3001))).To);
        Assert.Equal((3L, 2, 0L), (box.Nat.TranslatedFlows, box.Nat.PortsInUse, box.Nat.DroppedPackets));
    }

    [Fact]
    public void An_exhausted_pool_drops_the_SYN_and_counts_it_and_the_retransmission_gets_a_freed_port()
    {
        using var box = new Box(lastPort: 1025); // one port
        box.Send(C(40000, Syn, 1000, 0));
        Assert.Null(box.Send(C(40001, Syn, 7000, 0)));
        Assert.Equal((1L, 1L, 1L, 1), (box.Nat.DroppedPackets, box.Nat.PoolExhausted, box.Nat.TranslatedFlows, box.Nat.PortsInUse));
        Assert.Equal(1, box.Context.ActiveFlows); // the dropped SYN left no half-open flow (DEVIATIONS B30)
        box.Send(S(1025, Rst | Ack, 5000, 1001)); // the server refuses the first flow: its port is free again
        Assert.Equal(0, box.Nat.PortsInUse);
        Assert.Equal($"{NatIp}:1025", Forwarded(box.Send(C(40001, Syn, 7000, 0))).From);
        Assert.Equal((1L, 2L), (box.Nat.DroppedPackets, box.Nat.TranslatedFlows));
    }

    [Fact]
    public void A_flow_that_never_ends_keeps_its_port_until_the_idle_timeout()
    {
        using var box = new Box();
        box.Send(C(40000, Syn, 1000, 0));
        box.Wait(TimeSpan.FromSeconds(20));
        Assert.Equal(1, box.Nat.PortsInUse);
        box.Wait(TimeSpan.FromSeconds(15)); // past tcp_timeout (30 s)
        Assert.Equal((0, 1L), (box.Nat.PortsInUse, box.Context.Statistics.Timeouts));
    }

    [Fact]
    public void IPv6_flows_pass_untranslated()
    {
        using var box = new Box();
        byte[] syn = Tcp("2001:db8::1", 40000, "2001:db8::2", 80, Syn, 1000, 0);
        Assert.True(box.Process(syn));
        Assert.Equal(syn, box.LastForwardedBytes);
        byte[] synAck = Tcp("2001:db8::2", 80, "2001:db8::1", 40000, Syn | Ack, 5000, 1001);
        Assert.True(box.Process(synAck));
        Assert.Equal(synAck, box.LastForwardedBytes);
        Assert.Equal((1L, 0L, 0, 0L), (box.Nat.UntranslatedFlows, box.Nat.TranslatedFlows, box.Nat.PortsInUse, box.Nat.DroppedPackets));
    }

    [Fact]
    public void Misuse_is_refused()
    {
        using var passive = new MonitorContext(new MonitorContextOptions { Forward = false });
        Assert.Throws<ArgumentException>(() => new SourceNat(passive, IPAddress.Parse(NatIp)));
        using var inline = new MonitorContext(new MonitorContextOptions { Forward = true });
        Assert.Throws<ArgumentException>(() => new SourceNat(inline, IPAddress.Parse("2001:db8::100")));
    }
}
