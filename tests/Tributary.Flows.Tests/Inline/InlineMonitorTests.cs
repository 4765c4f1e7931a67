using System.Diagnostics;
using System.Text;
using Tributary.Flows.Inline;
using Tributary.Netlink;

namespace Tributary.Flows.Tests.Inline;

/// <summary>
/// Inline mode between real kernel TCP endpoints: namespace C (10.99.0.1) — veth — box (b0, b1, no addresses,
/// the <see cref="InlineMonitor"/> forwarding between them) — veth — namespace S (10.99.0.2, a Python echo server).
/// Checks forwarding with both sides' states, a SYN drop (firewall), a payload rewrite with checksum update and an
/// injected RST.
/// </summary>
public sealed class InlineMonitorTests
{
    private const string Server = """
import socket, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b: break
                data += b
            c.sendall(b"got:" + data)
            c.close()
        except OSError:
            pass
for p in (8080, 8081):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
""";

    private const string Client = """
import socket, sys
try:
    c = socket.create_connection(("10.99.0.2", int(sys.argv[1])), timeout=3)
    c.sendall(sys.argv[2].encode()); c.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = c.recv(4096)
        if not b: break
        data += b
    print(data.decode())
except Exception as e:
    print("ERR " + type(e).__name__)
""";

    private sealed class Lab : IDisposable
    {
        public readonly TestNetworkNamespace C = TestNetworkNamespace.Create("flc");
        public readonly TestNetworkNamespace Box = TestNetworkNamespace.Create("flb");
        public readonly TestNetworkNamespace S = TestNetworkNamespace.Create("fls");
        private Process? _server;

        /// <param name="endpointChecksumOffload">
        /// C and S leave their TCP checksums to the NIC, as Linux does by default (the box then receives frames whose
        /// checksum is not filled in); the box's own interfaces keep offloads off either way.
        /// </param>
        public Lab(bool endpointChecksumOffload = false)
        {
            C.Ip("link", "add", "c0", "type", "veth", "peer", "name", "b0", "netns", Box.Name);
            Box.Ip("link", "add", "b1", "type", "veth", "peer", "name", "s0", "netns", S.Name);
            C.Ip("addr", "add", "10.99.0.1/24", "dev", "c0");
            S.Ip("addr", "add", "10.99.0.2/24", "dev", "s0");
            foreach ((TestNetworkNamespace ns, string dev) in new[] { (C, "c0"), (Box, "b0"), (Box, "b1"), (S, "s0") })
            {
                ns.Ip("link", "set", dev, "up");
                // Real checksums on the wire and no super-frames: offloads off (capture hosts with offload write wrong checksums).
                string tx = endpointChecksumOffload && ns != Box ? "on" : "off";
                ns.Exec("ethtool", "-K", dev, "tx", tx, "rx", "off", "tso", "off", "gso", "off", "gro", "off");
            }
            Box.Sysctl("net.ipv6.conf.all.disable_ipv6", "1");
            var psi = new ProcessStartInfo("ip", ["netns", "exec", S.Name, "python3", "-u", "-c", Server])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            _server = Process.Start(psi)!;
            Assert.Equal("ready", _server.StandardOutput.ReadLine());
        }

        public string Talk(int port, string text) =>
            ProcessRunner.Run("ip", ["netns", "exec", C.Name, "python3", "-c", Client, port.ToString(System.Globalization.CultureInfo.InvariantCulture), text],
                timeout: TimeSpan.FromSeconds(20)).StandardOutput.Trim();

        public void Dispose()
        {
            if (_server is { HasExited: false })
            {
                _server.Kill();
                _server.WaitForExit();
            }
            _server?.Dispose();
            C.Dispose();
            Box.Dispose();
            S.Dispose();
        }
    }

    private static (InlineMonitor Monitor, Thread Thread) Start(Lab lab, MonitorContext ctx)
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
        using var lab = new Lab();
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

    [KernelFact("python3", "ethtool")]
    public void Drops_rewrites_and_injects()
    {
        using var lab = new Lab();
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
        using var lab = new Lab(endpointChecksumOffload: true);
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
}
