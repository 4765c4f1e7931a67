using System.Diagnostics;
using System.Text;
using Tributary.Flows.Inline;
using Tributary.Netlink;
using Tributary.Testing;

namespace Tributary.Flows.Tests.Inline;

/// <summary>
/// Inline mode between real kernel TCP endpoints (<see cref="InlineLab"/>). Checks forwarding with both sides' states, a SYN drop (firewall), a payload rewrite with checksum update and an
/// injected RST.
/// </summary>
public sealed class InlineMonitorTests
{
    private static (InlineMonitor Monitor, Thread Thread) Start(InlineLab lab, MonitorContext ctx)
    {
        InlineMonitor monitor = NetworkNamespace.Run(lab.Box.Path, () => new InlineMonitor(ctx, "b0", "b1"));
        var thread = new Thread(() => monitor.Run()) { IsBackground = true };
        thread.Start();
        return (monitor, thread);
    }

    private static void Stop(InlineMonitor m, Thread t)
    {
        m.Stop();
        Assert.True(t.Join(TimeSpan.FromSeconds(10)));
        m.Dispose();
    }

    /// <summary>Every CONN_NEW_DATA's peek, as "Side=bytes;" in order.</summary>
    private static StringBuilder RecordNewData(MonitorSocket listener)
    {
        var data = new StringBuilder();
        byte[] buf = new byte[4096];
        listener.RegisterCallback(MonitorEvent.ConnectionNewData, HookPoint.Null, (c, s, d, e) =>
        {
            int n = s.Peek(d, buf);
            data.Append(d).Append('=').Append(Encoding.ASCII.GetString(buf, 0, n)).Append(';');
        });
        return data;
    }

    private static MonitorContext NewContext() =>
        new(new MonitorContextOptions { Forward = true, VerifyChecksums = true, OfflineClock = false });

    [KernelFact("python3", "ethtool")]
    public void Forwards_a_connection_and_tracks_both_sides()
    {
        using var lab = new InlineLab();
        MonitorContext ctx = NewContext();
        MonitorSocket l = ctx.CreateStreamListener();
        var states = new List<string>();
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, (c, s, d, e) =>
        {
            lock (states)
                states.Add($"{d}:{s.GetState(d)}");
        });
        StringBuilder data = RecordNewData(l);
        (InlineMonitor m, Thread t) = Start(lab, ctx);
        string reply = lab.Talk(8080, "hello");
        Stop(m, t);
        Assert.Equal("got:hello", reply);
        Assert.Contains("Server=hello;", data.ToString(), StringComparison.Ordinal);
        Assert.Contains("Client=got:hello;", data.ToString(), StringComparison.Ordinal);
        Assert.Contains("Client:Established", states);
        Assert.Contains("Server:Established", states);
        Assert.True(m.ForwardedAToB >= 4 && m.ForwardedBToA >= 4, $"{m.ForwardedAToB} / {m.ForwardedBToA}");
    }

    [KernelFact]
    public void An_interface_that_fails_to_open_leaves_none_of_the_others_open()
    {
        // lo opens, the second interface does not exist: lo's capture must not stay open (and capturing) for nobody.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("flo");
        using var ctx = NewContext();
        Assert.ThrowsAny<IOException>(() => NetworkNamespace.Run(ns.Path, () => new InlineMonitor(ctx, "lo", "no-such-if0")));
        string sockets = ns.Exec("cat", "/proc/net/packet").EnsureSuccess("packet sockets").StandardOutput;
        Assert.Single(sockets.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the header line only
    }

    [KernelFact("python3", "ethtool")]
    public void Drops_rewrites_and_injects()
    {
        using var lab = new InlineLab();
        MonitorContext ctx = NewContext();
        MonitorSocket l = ctx.CreateStreamListener();
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Send, (c, s, d, e) =>
        {
            if (!c.TryGetLastPacket(out PacketView p))
                return;
            if (p.DestinationPort == 8081 && (p.TcpFlags & 0x12) == 0x02)
            {
                Assert.Equal(MonitorError.None, c.DropPacket()); // firewall: no SYN to 8081 gets through
                return;
            }
            if (d == Side.Client && p.Payload.SequenceEqual("ping"u8))
                Assert.Equal(MonitorError.None, c.OverwritePacket(PacketLayer.Payload, 1, "o"u8, updateIpChecksum: false, updateTcpChecksum: true));
            if (d == Side.Client && p.Payload.SequenceEqual("reset-me"u8))
            {
                // Reset the server side: a RST with the client's next sequence number, then drop the data.
                Assert.Equal(MonitorError.None, c.SendPacket(s, Side.Server, 0x04, p.Sequence, p.Acknowledgment, 0, default));
                c.DropPacket();
            }
        });
        (InlineMonitor m, Thread t) = Start(lab, ctx);
        string rewritten = lab.Talk(8080, "ping");
        string dropped = lab.Talk(8081, "anything");
        string reset = lab.Talk(8080, "reset-me");
        Stop(m, t);
        Assert.Equal("got:pong", rewritten);
        Assert.Equal("ERR TimeoutError", dropped);
        // The server saw our RST and never the data: its socket is gone, the client's FIN is answered with a RST.
        Assert.Equal("ERR ConnectionResetError", reset);
    }

    [KernelFact("python3", "ethtool")]
    public void Frames_whose_checksum_the_sender_left_to_its_NIC_leave_the_box_finished()
    {
        // C and S send with checksum offload: the box's captures get their TCP checksums unfinished (marked by the
        // kernel). Forwarded as they came, S's and C's stacks would drop every one; the box finishes them.
        using var lab = new InlineLab(endpointChecksumOffload: true);
        MonitorContext ctx = NewContext();
        StringBuilder data = RecordNewData(ctx.CreateStreamListener());
        (InlineMonitor m, Thread t) = Start(lab, ctx);
        string reply = lab.Talk(8080, "offloaded");
        Stop(m, t);
        Assert.Equal("got:offloaded", reply);
        Assert.Equal(0, ctx.Statistics.ChecksumErrors);
        Assert.Contains("Server=offloaded;", data.ToString(), StringComparison.Ordinal);
        Assert.Contains("Client=got:offloaded;", data.ToString(), StringComparison.Ordinal);
    }

    [KernelTheory("python3", "ethtool")]
    [InlineData("10.99.0.2")]
    [InlineData("fd99::2")]
    public void Super_frames_from_endpoints_that_keep_their_offloads_leave_the_box_as_segments(string server)
    {
        // C and S keep TSO/GSO: their 64 KB frames cross the veth whole, and b0/b1 would refuse to send them again.
        using var lab = new InlineLab(endpointSegmentationOffload: true);
        // Buffers larger than a super-frame, so every byte is peeked (none lost to a full buffer).
        var ctx = new MonitorContext(new MonitorContextOptions
        {
            Forward = true, VerifyChecksums = true, OfflineClock = false, ReceiveBufferSize = 1 << 20,
        });
        MonitorSocket l = ctx.CreateStreamListener();
        long serverBytes = 0, clientBytes = 0;
        byte[] buf = new byte[1 << 20];
        l.RegisterCallback(MonitorEvent.ConnectionNewData, HookPoint.Null, (c, s, d, e) =>
        {
            int n = s.Peek(d, buf);
            if (d == Side.Server)
                serverBytes += n;
            else
                clientBytes += n;
        });
        (InlineMonitor m, Thread t) = Start(lab, ctx);
        string reply = lab.TalkBulk(8080, 1_000_000, server);
        Stop(m, t);
        Assert.Equal("ok 1000004", reply);
        Assert.True(m.SegmentedFrames > 0, "no super-frame came through: the lab did not exercise segmentation");
        Assert.Equal((0L, 0L), (m.OversizedFrames, ctx.Statistics.ChecksumErrors));
        Assert.Equal((1_000_000L, 1_000_004L), (serverBytes, clientBytes));
    }
}
