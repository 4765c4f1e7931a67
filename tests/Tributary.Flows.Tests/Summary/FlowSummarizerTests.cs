using System.Security.Cryptography;
using Tributary.Capture;
using Tributary.Flows.Applications.Summary;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Summary;

/// <summary>The summariser's stream reassembly with segments out of order (first copy wins, as tcpflow).</summary>
public sealed class FlowSummarizerTests
{
    private const uint ClientIsn = 1000, ServerIsn = 5000;

    /// <summary>The client's segment carrying stream bytes [start, end), each byte made by <paramref name="content"/>.</summary>
    private static byte[] Segment(int start, int end, Func<int, byte> content)
    {
        byte[] payload = Enumerable.Range(start, end - start).Select(content).ToArray();
        return Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Ack | Frames.Psh, ClientIsn + 1 + (uint)start, ServerIsn + 1, payload);
    }

    private static FlowSummary Summarise(IEnumerable<byte[]> dataSegments)
    {
        var s = new FlowSummarizer(verifyChecksums: true);
        long t = 0;
        s.Add(Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0), LinkType.Ethernet, 54, t += 1000);
        s.Add(Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Syn | Frames.Ack, ServerIsn, ClientIsn + 1), LinkType.Ethernet, 54, t += 1000);
        foreach (byte[] f in dataSegments)
            s.Add(f, LinkType.Ethernet, f.Length, t += 1000);
        s.Complete();
        Assert.Equal(0, s.ChecksumErrors);
        return Assert.Single(s.Flows);
    }

    [Fact]
    public void A_late_segment_over_several_held_segments_fills_only_the_holes_between_them()
    {
        static byte Original(int i) => (byte)i;
        static byte Late(int i) => (byte)(i ^ 0xFF);
        // [10,20) and [30,40) arrive early and are held; [5,50) then covers both and the holes around them; [0,5)
        // finally lets the stream drain. A walk that held each hole as it found it changed the held list under
        // itself and threw.
        FlowSummary flow = Summarise([Segment(10, 20, Original), Segment(30, 40, Original), Segment(5, 50, Late), Segment(0, 5, Original)]);

        byte[] expected = Enumerable.Range(0, 50).Select(i => i is < 5 or (>= 10 and < 20) or (>= 30 and < 40) ? Original(i) : Late(i)).ToArray();
        FlowSummary.Direction c2s = flow.ClientToServer;
        Assert.Equal(50, c2s.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), c2s.Sha256);
        Assert.Equal(1, c2s.Retransmissions); // the late segment repeats held bytes
        Assert.Equal(5, c2s.Packets); // the SYN and the four segments
    }

    [Fact]
    public void Segments_in_any_order_give_the_same_stream()
    {
        // Eight 10-byte segments and two that span several of them, in every rotation of the order.
        byte[][] segments =
        [
            .. Enumerable.Range(0, 8).Select(k => Segment(10 * k, 10 * k + 10, i => (byte)(i * 7))),
            Segment(15, 55, i => (byte)(i * 7)),
            Segment(3, 78, i => (byte)(i * 7)),
        ];
        string? sha = null;
        for (int rotation = 0; rotation < segments.Length; rotation++)
        {
            FlowSummary flow = Summarise(segments.Skip(rotation).Concat(segments.Take(rotation)));
            Assert.Equal(80, flow.ClientToServer.Length);
            sha ??= Convert.ToHexStringLower(SHA256.HashData(Enumerable.Range(0, 80).Select(i => (byte)(i * 7)).ToArray()));
            Assert.Equal(sha, flow.ClientToServer.Sha256);
        }
    }

    /// <summary>The one flow of <paramref name="frames"/> (1 ms apart, checksums verified).</summary>
    private static FlowSummary SummarizeOne(byte[][] frames)
    {
        var s = new FlowSummarizer(verifyChecksums: true);
        long t = 0;
        foreach (byte[] f in frames)
            s.Add(f, LinkType.Ethernet, f.Length, t += 1000);
        s.Complete();
        return Assert.Single(s.Flows);
    }

    private static void AssertStream(byte[] expected, FlowSummary.Direction direction)
    {
        Assert.Equal(expected.Length, direction.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), direction.Sha256);
    }

    [Fact]
    public void A_SYN_ACK_after_a_challenge_ACK_starts_the_server_stream()
    {
        // The client reuses a 4-tuple whose old connection the server still holds (lab__port_reuse_challenge_ack):
        // the server answers the SYN with a challenge ACK from the old connection's sequence space (RFC 5961
        // section 4.2), the client resets it, its retransmitted SYN gets the SYN/ACK, and the server then sends data.
        const uint OldServerNext = 777_000, OldClientNext = 333_000;
        byte[] response = Frames.Text("HTTP/1.0 200 OK\r\n\r\nhello");
        byte[][] frames =
        [
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Ack, OldServerNext, OldClientNext),
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Rst, OldClientNext, 0),
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Syn | Frames.Ack, ServerIsn, ClientIsn + 1),
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Ack, ClientIsn + 1, ServerIsn + 1),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Ack | Frames.Psh, ServerIsn + 1, ClientIsn + 1, response),
        ];
        FlowSummary flow = SummarizeOne(frames);
        Assert.Equal(("syn", 2, 1), (flow.Basis, flow.Syn, flow.SynAck));
        AssertStream(response, flow.ServerToClient);
    }

    [Fact]
    public void A_SYN_ACK_after_a_stale_SYN_ACK_starts_the_server_stream()
    {
        // The client abandoned a connect and reuses its port with a new ISN (lab__v4_stale_synack): the server still
        // retransmits the SYN/ACK of the first SYN's request, which falls into the new flow, before it answers the
        // new SYN.
        const uint StaleServerIsn = 900_000, StaleClientIsn = 400_000;
        byte[] response = Frames.Text("HTTP/1.0 200 OK\r\n\r\nhello");
        byte[][] frames =
        [
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Syn | Frames.Ack, StaleServerIsn, StaleClientIsn + 1),
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Syn | Frames.Ack, ServerIsn, ClientIsn + 1),
            Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Ack, ClientIsn + 1, ServerIsn + 1),
            Frames.Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Frames.Ack | Frames.Psh, ServerIsn + 1, ClientIsn + 1, response),
        ];
        FlowSummary flow = SummarizeOne(frames);
        Assert.Equal(("syn", 2, 2), (flow.Basis, flow.Syn, flow.SynAck));
        AssertStream(response, flow.ServerToClient);
    }

    [Fact]
    public void With_checksums_a_live_segment_whose_TCP_checksum_was_not_filled_in_counts()
    {
        byte[] syn = Frames.Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Frames.Syn, ClientIsn, 0, badChecksum: true);
        var s = new FlowSummarizer(verifyChecksums: true);
        s.Add(syn, LinkType.Ethernet, syn.Length, 1_000);
        Assert.Equal((1L, 0L), (s.ChecksumErrors, s.TcpSegments));
        s.Add(syn, LinkType.Ethernet, syn.Length, 2_000, PacketFlags.ChecksumNotReady);
        Assert.Equal((1L, 1L), (s.ChecksumErrors, s.TcpSegments));
    }
}
