using Tributary.Capture.Live;
using Tributary.Netlink;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Live;

/// <summary>
/// The inline mode's building blocks: a two-interface forwarder (receive on one interface with
/// <see cref="LiveCaptureOptions.IgnoreOutgoing"/>, send on the other with <see cref="PacketSender"/>)
/// between two hosts in separate namespaces, carrying a real TCP transfer end to end.
/// </summary>
public sealed class InlineForwarderTests(ITestOutputHelper output)
{
    [KernelFact("python3", "ethtool")]
    public void A_forwarder_built_from_capture_and_sender_carries_a_tcp_transfer()
    {
        using var a = TestNetworkNamespace.Create("fwa");
        using var f = TestNetworkNamespace.Create("fwf");
        using var c = TestNetworkNamespace.Create("fwc");
        ProcessRunner.Run("ip", "link", "add", "va", "netns", a.Name, "type", "veth", "peer", "name", "vb", "netns", f.Name).EnsureSuccess("veth a-f");
        ProcessRunner.Run("ip", "link", "add", "vd", "netns", c.Name, "type", "veth", "peer", "name", "vc", "netns", f.Name).EnsureSuccess("veth f-c");
        a.Ip("addr", "add", "10.220.0.1/24", "dev", "va");
        c.Ip("addr", "add", "10.220.0.2/24", "dev", "vd");
        foreach (var (ns, dev) in new[] { (a, "va"), (f, "vb"), (f, "vc"), (c, "vd") })
        {
            // Frames must stay within the MTU to be sent again (no segmentation or receive offloads) and
            // carry finished checksums (tx offload leaves CHECKSUM_PARTIAL frames, TP_STATUS_CSUMNOTREADY).
            ns.Exec("ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off").EnsureSuccess($"ethtool {dev}");
            ns.Ip("link", "set", dev, "up");
        }
        var options = new LiveCaptureOptions { IgnoreOutgoing = true, BlockTimeoutMilliseconds = 1 };
        using LiveCapture left = NetworkNamespace.Run(f.Path, () => LiveCapture.Open("vb", options));
        using LiveCapture right = NetworkNamespace.Run(f.Path, () => LiveCapture.Open("vc", options));
        using PacketSender toRight = NetworkNamespace.Run(f.Path, () => PacketSender.Open("vc"));
        using PacketSender toLeft = NetworkNamespace.Run(f.Path, () => PacketSender.Open("vb"));
        Exception? failure = null;
        Thread Forward(LiveCapture from, PacketSender to) => new(() =>
        {
            try
            {
                while (from.TryReadNext(out Packet p))
                    to.TrySend(p.Data);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        Thread t1 = Forward(left, toRight), t2 = Forward(right, toLeft);
        t1.Start();
        t2.Start();
        try
        {
            using var server = new BackgroundProcess("ip", "netns", "exec", c.Name, "python3", "-u", "-c",
                "import socket, hashlib\n" +
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('10.220.0.2', 7000)); s.listen(1)\n" +
                "print('ready', flush=True)\n" +
                "c, _ = s.accept(); h = hashlib.sha256(); n = 0\n" +
                "while True:\n" +
                "    d = c.recv(65536)\n" +
                "    if not d: break\n" +
                "    h.update(d); n += len(d)\n" +
                "c.sendall(f'{n} {h.hexdigest()}'.encode()); c.close()\n");
            TaskTimeouts.WaitUntil(() => server.Output.Contains("ready", StringComparison.Ordinal), what: "the TCP server");
            ProcessResult client = a.Exec("python3", "-c",
                "import socket, hashlib, os\n" +
                "data = os.urandom(2_000_000)\n" +
                "s = socket.create_connection(('10.220.0.2', 7000), timeout=20); s.sendall(data); s.shutdown(socket.SHUT_WR)\n" +
                "reply = s.recv(200).decode()\n" +
                "print(reply == f'{len(data)} {hashlib.sha256(data).hexdigest()}', reply)\n");
            output.WriteLine(client.StandardOutput + client.StandardError);
            Assert.StartsWith("True", client.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            left.Stop();
            right.Stop();
            t1.Join();
            t2.Join();
        }
        Assert.Null(failure);
        output.WriteLine($"forwarded {toRight.PacketsSent} → and {toLeft.PacketsSent} ←, dropped {toRight.PacketsDropped + toLeft.PacketsDropped}");
        Assert.True(toRight.PacketsSent > 1000);
        Assert.True(toLeft.PacketsSent > 100);
        // IgnoreOutgoing: the forwarder never saw its own transmissions (no loop), so each side's
        // capture count equals what the other side's sender forwarded plus nothing else.
        Assert.Equal(left.PacketsRead, toRight.PacketsSent + toRight.PacketsDropped);
    }
}
