using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Conn;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Engine;

/// <summary>The monitoring API outside the tracer: copy-on-write registrations, UDEs, timers, close, misuse.</summary>
public sealed class ApiTests
{
    private static readonly byte[][] Connection =
    [
        C(Syn, 1000, 0), S(Syn | Ack, 5000, 1001), C(Ack, 1001, 5001), C(Psh | Ack, 1001, 5001, Text("GET /")),
        S(Psh | Ack, 5001, 1006, Text("OK")), C(Fin | Ack, 1006, 5003), S(Fin | Ack, 5003, 1007), C(Ack, 1007, 5004),
    ];

    private static void Feed(MonitorContext ctx, IEnumerable<byte[]> frames, long startUs = 1_000_000)
    {
        long t = startUs;
        foreach (byte[] f in frames)
            ctx.ProcessPacket(f, 1, t += 1000);
    }

    [Fact]
    public void A_live_frame_whose_TCP_checksum_was_not_filled_in_passes_the_checksum_check()
    {
        // A live capture of a packet this host sent carries the TCP checksum its NIC (or, over veth and lo, the
        // receiver) was still to fill in: the kernel says so (TP_STATUS_CSUMNOTREADY), and the bytes would fail.
        using var ctx = new MonitorContext(new MonitorContextOptions { VerifyChecksums = true });
        ctx.CreateStreamListener();
        byte[] syn = Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Syn, 1000, 0, badChecksum: true);
        ctx.ProcessPacket(syn, 1, 1_000_000, syn.Length, Tributary.Capture.PacketFlags.None);
        Assert.Equal((1L, 0L), (ctx.Statistics.ChecksumErrors, ctx.Statistics.Flows));
        ctx.ProcessPacket(syn, 1, 1_001_000, syn.Length, Tributary.Capture.PacketFlags.ChecksumNotReady);
        Assert.Equal((1L, 1L), (ctx.Statistics.ChecksumErrors, ctx.Statistics.Flows));
        // The IPv4 header's checksum is always finished in software: a bad one still fails.
        byte[] badHeader = Tcp("10.0.0.1", 40001, "10.0.0.2", 80, Syn, 1000, 0);
        badHeader[24] ^= 0xFF;
        ctx.ProcessPacket(badHeader, 1, 1_002_000, badHeader.Length, Tributary.Capture.PacketFlags.ChecksumNotReady);
        Assert.Equal((2L, 1L), (ctx.Statistics.ChecksumErrors, ctx.Statistics.Flows));
        // The flag holds for its frame only.
        byte[] next = Tcp("10.0.0.1", 40002, "10.0.0.2", 80, Syn, 1000, 0, badChecksum: true);
        ctx.ProcessPacket(next, 1, 1_003_000);
        Assert.Equal((3L, 1L), (ctx.Statistics.ChecksumErrors, ctx.Statistics.Flows));
    }

    [Fact]
    public void Listener_registration_changes_only_affect_flows_created_afterwards()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        var seen = new List<string>();
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) => seen.Add($"A{s.Id}"));
        Feed(ctx, Connection.Take(3));           // flow 1 open with callback A
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) => seen.Add($"B{s.Id}")); // replace (B5)
        Feed(ctx, Connection.Skip(3), 2_000_000); // flow 1 keeps A (copy-on-write)
        Assert.All(seen, x => Assert.StartsWith("A", x, StringComparison.Ordinal));
        seen.Clear();
        Feed(ctx, [Tcp("10.0.0.1", 40001, "10.0.0.2", 80, Syn, 7000, 0)], 3_000_000);
        Assert.Equal(["B2"], seen);               // a new flow takes the listener's current set
    }

    [Fact]
    public void Flow_socket_deregistration_applies_to_that_flow_from_the_next_dispatch()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        int packetIn = 0, stateChanges = 0;
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) =>
        {
            if (++packetIn == 2)
                Assert.Equal(MonitorError.None, s.TryRegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, null));
        });
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, (c, s, d, e) => stateChanges++);
        Feed(ctx, Connection);
        Assert.Equal(2, packetIn);
        Assert.True(stateChanges >= 4); // the rest of the dispatch and later events still run
        // De-registering what is not registered is refused; MosCompat always refuses (B5a).
        MonitorSocket l2 = ctx.CreateStreamListener();
        Assert.Equal(MonitorError.InvalidArgument, l2.TryRegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, null));
        var compat = new MonitorContext(new MonitorContextOptions { MosCompat = true });
        MonitorSocket cl = compat.CreateStreamListener();
        cl.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) => { });
        Assert.Equal(MonitorError.Unchanged, cl.TryRegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, null));
    }

    [Fact]
    public void Hook_validation_follows_INVENTORY_5_and_the_root_built_in_for_UDEs()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        MonitorCallback cb = (c, s, d, e) => { };
        Assert.Equal(MonitorError.InvalidArgument, l.TryRegisterCallback(MonitorEvent.ConnectionNewData, HookPoint.Receive, cb));
        Assert.Equal(MonitorError.InvalidArgument, l.TryRegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Null, cb));
        Assert.Equal(MonitorError.Unchanged, l.TryRegisterCallback(MonitorEvent.PacketIn | MonitorEvent.ConnectionStart, HookPoint.Receive, cb));
        Assert.Equal(MonitorError.Unchanged, l.TryRegisterCallback(MonitorEvent.None, HookPoint.Receive, cb));
        // B19: a UDE on a UDE on ORPHAN is validated through ORPHAN (Null only), whatever its id's bits.
        EventFilter yes = (c, s, d, e, a) => true;
        MonitorEvent u1 = ctx.DefineEvent(MonitorEvent.Orphan, yes);
        MonitorEvent u2 = ctx.DefineEvent(u1, yes, new byte[] { 1 });
        Assert.Equal(MonitorError.None, l.TryRegisterCallback(u2, HookPoint.Null, cb));
        Assert.Equal(MonitorError.InvalidArgument, l.TryRegisterCallback(u2, HookPoint.Send, cb));
        Assert.Equal(MonitorEvent.None, ctx.DefineEvent((MonitorEvent)12345, yes));
        Assert.Equal(u1, ctx.DefineEvent(MonitorEvent.Orphan, yes)); // idempotent
        Assert.NotEqual(u2, ctx.DefineEvent(u1, yes, new byte[] { 2 }));
        Assert.Throws<MonitorException>(() => l.RegisterCallback(MonitorEvent.Orphan, HookPoint.Send, cb));
    }

    [Fact]
    public void UDE_filters_run_once_and_raised_children_run_after_the_parent()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        var order = new List<string>();
        MonitorEvent child = MonitorEvent.None;
        MonitorEvent data = ctx.DefineEvent(MonitorEvent.PacketIn, (c, s, d, e, a) =>
        {
            order.Add("filter");
            bool has = c.TryGetLastPacket(out PacketView p) && p.PayloadLength > 0;
            if (has)
                Assert.Equal(MonitorError.None, c.RaiseEvent(child));
            return has;
        });
        child = ctx.AllocEvent(data);
        MonitorEvent get = ctx.DefineEvent(data, (c, s, d, e, a) =>
        {
            order.Add("filter2");
            return c.TryGetLastPacket(out PacketView p) && p.Payload.StartsWith(a.Span);
        }, "GET"u8.ToArray());
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) => order.Add("pkt"));
        l.RegisterCallback(data, HookPoint.Receive, (c, s, d, e) => order.Add("data"));
        l.RegisterCallback(child, HookPoint.Receive, (c, s, d, e) => order.Add("child"));
        l.RegisterCallback(get, HookPoint.Receive, (c, s, d, e) => order.Add("get"));
        Feed(ctx, Connection.Take(4));
        Assert.Equal(["pkt", "filter", "pkt", "filter", "pkt", "filter", "pkt", "filter", "data", "child", "filter2", "get"], order);
        Assert.Equal(MonitorError.InvalidArgument, ctx.RaiseEvent(child)); // only from the parent's filter
    }

    [Fact]
    public void Timers_fire_on_the_capture_clock_in_due_order()
    {
        var ctx = new MonitorContext();
        var fired = new List<(int Id, long At)>();
        ctx.SetTimer(2, TimeSpan.FromMilliseconds(5), (c, id) => fired.Add((id, c.ClockMicroseconds)));
        ctx.SetTimer(1, TimeSpan.FromMilliseconds(2), (c, id) => fired.Add((id, c.ClockMicroseconds)));
        ctx.ProcessPacket(C(Syn, 1000, 0), 1, 10_000_000);
        Assert.Empty(fired);
        ctx.ProcessPacket(C(Syn, 1000, 0), 1, 10_003_000);
        Assert.Equal([(1, 10_001_999L)], fired); // setup 1 µs before the first frame
        ctx.Finish(10_004_999);
        Assert.Equal([(1, 10_001_999L), (2, 10_004_999L)], fired);
    }

    [Fact]
    public void Idle_timeout_tears_down_with_TIMEOUT_first_in_default_mode()
    {
        var ctx = new MonitorContext(new MonitorContextOptions { TcpTimeoutSeconds = 1 });
        MonitorSocket l = ctx.CreateStreamListener();
        var events = new List<string>();
        foreach (MonitorEvent ev in (MonitorEvent[])[MonitorEvent.Timeout, MonitorEvent.TcpStateChange, MonitorEvent.ConnectionEnd])
            l.RegisterCallback(ev, HookPoint.Receive, (c, s, d, e) => events.Add($"{d}:{e}"));
        Feed(ctx, Connection.Take(3));
        events.Clear();
        ctx.Finish(1_003_000 + 999_999);
        Assert.Empty(events);
        ctx.Finish(1_003_000 + 1_000_000);
        Assert.Equal(["Client:Timeout", "Client:TcpStateChange", "Client:ConnectionEnd", "Server:Timeout", "Server:TcpStateChange", "Server:ConnectionEnd"], events);
        Assert.Equal(0, ctx.ActiveFlows);
        Assert.Equal(1, ctx.Statistics.Timeouts);
    }

    [Fact]
    public void Closing_a_listener_stops_new_flows_and_closing_a_flow_socket_detaches_it()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        int ends = 0, packets = 0;
        l.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Receive, (c, s, d, e) => ends++);
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) =>
        {
            if (++packets == 3)
                Assert.Equal(MonitorError.None, s.Close());
        });
        Feed(ctx, Connection);
        Assert.Equal(3, packets);
        Assert.Equal(0, ends); // detached: no further callbacks, no CONN_END (B20)
        Assert.Equal(MonitorError.None, l.Close());
        Assert.False(l.IsOpen);
        Feed(ctx, [Tcp("10.0.0.1", 40002, "10.0.0.2", 80, Syn, 1, 0)], 5_000_000);
        Assert.Equal(1, ctx.Statistics.Orphans);
        Assert.Equal(MonitorError.BadDescriptor, new MonitorContext(new MonitorContextOptions { MosCompat = true }).CreateStreamListener().Close());
    }

    [Fact]
    public void Stop_monitoring_both_sides_keeps_the_flow_silently_until_it_ends()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        int callbacks = 0;
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) =>
        {
            callbacks++;
            Assert.Equal(MonitorError.None, s.StopMonitoring(Side.Both));
        });
        Feed(ctx, Connection);
        Assert.Equal(1, callbacks);
        Assert.Equal(0, ctx.Statistics.Orphans); // B29: its packets never become orphans
        Assert.Equal(0, ctx.ActiveFlows);         // and it ended with the last ACK
    }

    [Theory]
    [InlineData(false, new long[] { 0, 0, 0, 0, 0, 5, 2, 6 })]
    [InlineData(true, new long[] { 0, 0, -1, -1, -1, -1, -1, -1 })]
    public void B10_the_packet_offset_is_in_the_receiving_sides_stream(bool buffersOff, long[] expected)
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        if (buffersOff)
        {
            l.DisableBuffer(Side.Client);
            l.DisableBuffer(Side.Server);
        }
        var offsets = new List<long>();
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) =>
        {
            Assert.True(c.TryGetLastPacket(out PacketView p));
            offsets.Add(p.Offset);
        });
        Feed(ctx, Connection);
        // SYN, SYN/ACK: 0; ACK and "GET /" at client offset 0; "OK" at server offset 0; FINs after 5 and 2 bytes;
        // the last ACK at 6 (the FIN took offset 5). Unbuffered receiving sides: -1.
        Assert.Equal(expected, offsets);
    }

    [Fact]
    public void Getters_refuse_misuse()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        MonitorSocket raw = ctx.CreateRawSocket();
        Assert.Equal(MonitorError.NotASocket, l.TryGetState(Side.Client, out _));
        Assert.Equal(MonitorError.ProtocolNotAvailable, raw.TryBindStreamFilters("dst port 80", null));
        Assert.Equal(MonitorError.ProtocolNotAvailable, l.TryBindRawFilter("udp"));
        Assert.Equal(MonitorError.NotConnected, l.TryGetPeerNames(out _, out _));
        Assert.False(ctx.TryGetLastPacket(out _));
        Assert.Equal(MonitorError.AccessDenied, ctx.DropPacket());
        Assert.Throws<ArgumentException>(() => new MonitorContext(new MonitorContextOptions { ReceiveBufferSize = 1000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.SetTimer(1, TimeSpan.FromSeconds(-1), (c, i) => { }));
        ctx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ctx.ProcessPacket(C(Syn, 1, 0), 1, 1));
    }

    [Fact]
    public void Peer_names_are_the_pre_NAT_addresses_of_the_client_side()
    {
        var ctx = new MonitorContext();
        MonitorSocket l = ctx.CreateStreamListener();
        string? names = null;
        l.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Send, (c, s, d, e) =>
        {
            Assert.Equal(MonitorError.None, s.TryGetPeerNames(out FlowEndpoint cl, out FlowEndpoint sv));
            names = $"{cl} {sv}";
        });
        Feed(ctx, Connection.Take(1));
        Assert.Equal("10.0.0.1:40000 10.0.0.2:80", names);
    }
}
