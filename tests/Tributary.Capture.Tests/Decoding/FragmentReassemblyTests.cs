using System.Buffers.Binary;
using Tributary.Capture.Decoding;
using Tributary.Capture.Files;
using Tributary.Capture.Tests.Corpus;

namespace Tributary.Capture.Tests.Decoding;

public sealed class FragmentReassemblyTests
{
    /// <summary>pub__ppp__frag_http_req: 11 IPv4 fragments of one HTTP request; the oracle's stream is 1,460 bytes.</summary>
    [Fact]
    public void Corpus_http_request_is_rebuilt_from_its_fragments()
    {
        using var reassembler = new IpFragmentReassembler();
        using PacketSource source = CaptureFile.Open(CorpusFiles.PathOf("pub__ppp__frag_http_req.pcap"));
        int complete = 0, pending = 0;
        byte[]? payload = null;
        while (source.TryReadNext(out Packet p))
        {
            PacketDecoder.Decode(p, out DecodedPacket d);
            switch (reassembler.Process(d, p.TimestampNanoseconds, out ReadOnlySpan<byte> datagram))
            {
                case FragmentResult.Pending:
                    pending++;
                    break;
                case FragmentResult.Complete:
                    complete++;
                    Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeIp(datagram, out DecodedPacket whole));
                    Assert.True(whole.IsTcp);
                    Assert.False(whole.IsFragment);
                    Assert.True(Checksums.VerifyIPv4Header(whole));
                    Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(whole));
                    payload = whole.Payload.ToArray();
                    break;
                default:
                    Assert.Fail("unexpected result");
                    break;
            }
        }
        Assert.Equal(1, complete);
        Assert.Equal(10, pending);
        Assert.Equal(1460, payload!.Length);
        Assert.StartsWith("GET /convert_data.js", System.Text.Encoding.ASCII.GetString(payload));
        Assert.Equal(0, reassembler.PendingDatagrams);
        Assert.Equal(0, reassembler.BufferedBytes);
    }

    [Fact]
    public void TryDecode_reads_a_capture_as_tshark_does_one_whole_datagram_for_its_fragments()
    {
        // The same capture through TryDecode: the fragments give nothing until the last, which gives the whole
        // datagram; every other IP frame is decoded as it is.
        using var reassembler = new IpFragmentReassembler();
        using PacketSource source = CaptureFile.Open(CorpusFiles.PathOf("pub__ppp__frag_http_req.pcap"));
        int frames = 0, decoded = 0, whole = 0;
        while (source.TryReadNext(out Packet p))
        {
            frames++;
            if (!reassembler.TryDecode(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds, out DecodedPacket d, out bool reassembled))
                continue;
            decoded++;
            Assert.False(d.IsFragment);
            if (reassembled)
            {
                whole++;
                Assert.True(d.IsTcp);
                Assert.StartsWith("GET /convert_data.js", System.Text.Encoding.ASCII.GetString(d.Payload));
            }
        }
        Assert.Equal(1, whole);
        Assert.Equal(frames - 11 + 1, decoded); // 11 fragments, one datagram
        Assert.False(reassembler.TryDecode(new byte[14], LinkType.Ethernet, 14, 0, out _, out _)); // no IP
    }

    [Fact]
    public void IPv6_fragments_in_any_order_are_rebuilt_without_the_fragment_header()
    {
        byte[] payload = new byte[3000];
        new Random(3).NextBytes(payload);
        byte[] udp = PacketBuilder.Udp(5000, 53, payload);
        List<byte[]> fragments = PacketBuilder.IPv6Fragments("fd00::1", "fd00::2", 17, udp, 1232, id: 0xabcdef, withHopByHop: true);
        fragments.Reverse();
        using var r = new IpFragmentReassembler();
        ReadOnlySpan<byte> datagram = default;
        for (int i = 0; i < fragments.Count; i++)
        {
            PacketDecoder.Decode(fragments[i], LinkType.Raw, fragments[i].Length, out DecodedPacket d);
            Assert.True(d.IsFragment);
            FragmentResult result = r.Process(d, 1000, out datagram);
            Assert.Equal(i == fragments.Count - 1 ? FragmentResult.Complete : FragmentResult.Pending, result);
        }
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeIp(datagram, out DecodedPacket whole));
        Assert.True(whole.IsUdp);
        Assert.False(whole.HasFragmentHeader);
        Assert.Equal(48, whole.IpHeaderLength);          // 40 + the hop-by-hop header, fragment header gone
        Assert.Equal(payload, whole.Payload.ToArray());
        Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(whole));
    }

    [Fact]
    public void Overlapping_fragments_discard_the_datagram_and_duplicates_are_ignored()
    {
        byte[] tcp = PacketBuilder.Tcp(1, 2, 100, 0, 0x18, new byte[2000]);
        List<byte[]> f = PacketBuilder.IPv4Fragments("10.0.0.1", "10.0.0.2", 6, tcp, 800, id: 77);
        using var r = new IpFragmentReassembler();
        Assert.Equal(FragmentResult.Pending, Process(r, f[0]));
        Assert.Equal(FragmentResult.Pending, Process(r, f[0]));       // exact duplicate
        byte[] overlap = PacketBuilder.IPv4Fragments("10.0.0.1", "10.0.0.2", 6, tcp, 400, id: 77)[1];  // bytes 400..800
        Assert.Equal(FragmentResult.Dropped, Process(r, overlap));
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(1, r.DiscardedDatagrams);
    }

    [Fact]
    public void Incomplete_datagrams_time_out_on_the_packet_clock_and_memory_is_bounded()
    {
        var options = new IpFragmentReassemblerOptions { MaxBufferedBytes = 10_000, Timeout = TimeSpan.FromSeconds(30) };
        using var r = new IpFragmentReassembler(options);
        byte[] tcp = PacketBuilder.Tcp(1, 2, 100, 0, 0x18, new byte[4000]);
        for (ushort id = 0; id < 10; id++)
        {
            byte[] first = PacketBuilder.IPv4Fragments("10.0.0.1", "10.0.0.2", 6, tcp, 1480, id)[0];
            Assert.NotEqual(FragmentResult.Dropped, Process(r, first, id * 1_000_000_000L));
            Assert.True(r.BufferedBytes <= 10_000);
        }
        Assert.True(r.DiscardedDatagrams >= 3);          // the oldest made room
        Process(r, PacketBuilder.IPv4Fragments("10.0.0.9", "10.0.0.2", 6, tcp, 1480, 1)[0], 100_000_000_000L);
        Assert.Equal(1, r.PendingDatagrams);             // the rest expired after 30 s
        Assert.True(r.TimedOut > 0);
    }

    [Fact]
    public void Non_fragments_and_malformed_fragments()
    {
        using var r = new IpFragmentReassembler();
        byte[] whole = PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 0x10, []));
        Assert.Equal(FragmentResult.NotFragment, Process(r, whole));
        byte[] odd = PacketBuilder.IPv4Fragments("10.0.0.1", "10.0.0.2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 0x10, new byte[100]), 48, 5)[0];
        // non-last fragment whose length is not a multiple of 8
        byte[] bad = odd[..^3];
        BinaryPrimitives.WriteUInt16BigEndian(bad.AsSpan(2), (ushort)bad.Length);
        Assert.Equal(FragmentResult.Dropped, Process(r, bad));
    }

    private static FragmentResult Process(IpFragmentReassembler r, byte[] packet, long time = 0)
    {
        PacketDecoder.Decode(packet, LinkType.Raw, packet.Length, out DecodedPacket d);
        return r.Process(d, time, out _);
    }
}
