using Tributary.Capture.Decoding;
using Tributary.Capture.Live;
using Tributary.Netlink;

namespace Tributary.Capture.Tests.Live;

/// <summary>
/// <see cref="PacketSender"/> on a real veth: frames above the MTU, which the kernel refuses (EMSGSIZE), are TCP
/// super-frames to cut into segments that arrive whole on the other side, or anything else to drop and count, never
/// an exception from <see cref="PacketSender.TrySend"/>; the MTU is read again when the link's changes.
/// </summary>
public sealed class PacketSenderTests
{
    private static byte[] TcpFrame(int payloadLength, uint seq)
    {
        var payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        return PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.211.0.1", "10.211.0.2", 6,
            PacketBuilder.Tcp(5555, 7777, seq, 1, 0x18, payload)));
    }

    /// <summary>The TCP or UDP frames a capture receives until none comes for a while, checksums checked: (sequence, payload, IP length).</summary>
    private static List<(uint Seq, byte[] Payload, int IpLength)> Receive(LiveCapture capture)
    {
        var got = new List<(uint, byte[], int)>();
        while (capture.Read(out Packet p, 500) == PacketReadResult.Packet)
        {
            PacketDecoder.Decode(p, out DecodedPacket d);
            Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
            Assert.True(Checksums.VerifyIPv4Header(d));
            got.Add((d.Sequence, d.Payload.ToArray(), d.IpTotalLength));
        }
        return got;
    }

    [KernelFact("ethtool")]
    public void A_TCP_super_frame_arrives_as_segments_and_an_oversized_datagram_is_dropped_and_counted()
    {
        using var pair = new VethPair(offloads: false);
        using PacketSender sender = NetworkNamespace.Run(pair.A.Path, () => PacketSender.Open("va"));
        using LiveCapture capture = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.Open("vb",
            new LiveCaptureOptions { BlockTimeoutMilliseconds = 1, Filter = "tcp port 7777 or udp port 7777" }));
        Assert.Equal(1500, sender.Mtu);

        byte[] super = TcpFrame(5000, 1000);
        Assert.True(sender.TrySend(super));
        byte[] datagram = PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.211.0.1", "10.211.0.2", 17,
            PacketBuilder.Udp(5555, 7777, new byte[3000])));
        Assert.False(sender.TrySend(datagram));
        var error = Assert.Throws<CaptureSystemException>(() => sender.Send(datagram));
        Assert.Equal(90, error.Errno);   // EMSGSIZE

        var got = Receive(capture);
        Assert.Equal([1000u, 2460u, 3920u, 5380u], got.Select(g => g.Seq));   // 1460 bytes each
        Assert.Equal([1500, 1500, 1500, 40 + 5000 - 3 * 1460], got.Select(g => g.IpLength));
        Assert.Equal(super[(14 + 40)..], got.SelectMany(g => g.Payload).ToArray());
        Assert.Equal((4L, 1L, 2L, 0L), (sender.PacketsSent, sender.PacketsSegmented, sender.PacketsOversized, sender.PacketsDropped));
    }

    [KernelFact("ethtool")]
    public void When_the_MTU_goes_down_the_sender_learns_it_from_the_refusal_and_segments()
    {
        using var pair = new VethPair(offloads: false);
        using PacketSender sender = NetworkNamespace.Run(pair.A.Path, () => PacketSender.Open("va"));
        using LiveCapture capture = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.Open("vb",
            new LiveCaptureOptions { BlockTimeoutMilliseconds = 1, Filter = "tcp port 7777" }));
        pair.A.Ip("link", "set", "va", "mtu", "1000");

        byte[] frame = TcpFrame(1400, 7);   // fits 1500, not 1000
        Assert.True(sender.TrySend(frame));

        Assert.Equal(1000, sender.Mtu);
        var got = Receive(capture);
        Assert.Equal([7u, 967u], got.Select(g => g.Seq));
        Assert.Equal([1000, 40 + 1400 - 960], got.Select(g => g.IpLength));
        Assert.Equal((2L, 1L), (sender.PacketsSent, sender.PacketsSegmented));
    }

    [KernelFact("python3")]
    public void A_capture_asked_for_segment_sizes_reports_a_GSO_datagram_s_and_the_sender_cuts_it_back()
    {
        // A keeps UDP GSO (the veth default): a UDP_SEGMENT send crosses the veth as one frame.
        using var pair = new VethPair();
        var options = new LiveCaptureOptions { BlockTimeoutMilliseconds = 1, Filter = "udp port 7777", IgnoreOutgoing = true };
        using LiveCapture plain = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.Open("vb", options));
        using LiveCapture sized = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.Open("vb", new LiveCaptureOptions { BlockTimeoutMilliseconds = 1, Filter = "udp port 7777", SegmentSizes = true, IgnoreOutgoing = true }));
        pair.A.Exec("python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_UDP, 103, 1000)  # UDP_SEGMENT
            s.sendto(b"u" * 2500, ("10.211.0.2", 7777))
            """).EnsureSuccess("UDP GSO send");

        Assert.Equal(PacketReadResult.Packet, plain.Read(out Packet p, 2000));
        Assert.Equal((14 + 20 + 8 + 2500, 0), (p.CapturedLength, (int)p.SegmentSize));
        Assert.Equal(PacketReadResult.Packet, sized.Read(out Packet q, 2000));
        Assert.Equal((14 + 20 + 8 + 2500, 1000), (q.CapturedLength, (int)q.SegmentSize));

        // Sent on from B back towards A (a forwarder would send it on): three datagrams, or nothing without the size.
        using PacketSender sender = NetworkNamespace.Run(pair.B.Path, () => PacketSender.Open("vb"));
        using LiveCapture back = NetworkNamespace.Run(pair.A.Path, () => LiveCapture.Open("va", options));
        byte[] frame = q.Data.ToArray();
        Assert.False(sender.TrySend(frame));
        Assert.True(sender.TrySend(frame, q.SegmentSize));
        Assert.Equal([1000, 1000, 500], Receive(back).Select(g => g.Payload.Length));
        Assert.Equal((3L, 1L, 1L), (sender.PacketsSent, sender.PacketsSegmented, sender.PacketsOversized));

        // A batch of small datagrams fits the MTU as one frame, and must still leave as the sender's datagrams.
        pair.A.Exec("python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_UDP, 103, 400)  # UDP_SEGMENT
            s.sendto(b"v" * 1000, ("10.211.0.2", 7777))
            """).EnsureSuccess("small UDP GSO send");
        Assert.Equal(PacketReadResult.Packet, sized.Read(out Packet small, 2000));
        Assert.Equal((14 + 20 + 8 + 1000, 400), (small.CapturedLength, (int)small.SegmentSize));
        Assert.True(sender.TrySend(small.Data, small.SegmentSize));
        Assert.Equal([400, 400, 200], Receive(back).Select(g => g.Payload.Length));
    }
}
