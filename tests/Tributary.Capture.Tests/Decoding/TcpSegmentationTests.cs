using System.Buffers.Binary;
using Tributary.Capture.Decoding;
using Tributary.Testing;

namespace Tributary.Capture.Tests.Decoding;

/// <summary>
/// Software TCP segmentation of super-frames: every segment is a valid frame within the MTU (lengths, IPv4 id and
/// header checksum, TCP checksum over the pseudo-header), the segments' payloads are the super-frame's in order at
/// the right sequence numbers, flags are spread as TSO spreads them, and what cannot be split is refused.
/// </summary>
public sealed class TcpSegmentationTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    // NOP NOP timestamps: 12 bytes, so the TCP header is 32 bytes as Linux sends it.
    private static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0];

    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        return payload;
    }

    private static byte[] SuperFrame(bool ipv6, bool vlan, byte flags, byte[] payload, uint seq = 0xFFFF_F000, ushort urgent = 0)
    {
        byte[] tcp = PacketBuilder.Tcp(40000, 80, seq, 77, flags, payload, Timestamps);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(18), urgent);
        byte[] ip = ipv6
            ? PacketBuilder.IPv6("fd00::1", "fd00::2", 60, [6, 0, 1, 4, 0, 0, 0, 0, .. tcp])   // destination options (PadN), then TCP
            : PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 6, tcp, id: 0xFFFE, fragmentField: 0x4000, options: [1, 1, 1, 0]);
        PacketBuilder.FixChecksums(ip);
        return PacketBuilder.Ethernet(ipv6 ? EtherTypes.IPv6 : EtherTypes.IPv4, ip, vlan ? [EtherTypes.Vlan] : []);
    }

    private static List<byte[]> Split(byte[] frame, int mtu)
    {
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length, out DecodedPacket d);
        var segments = new List<byte[]>();
        int count = TcpSegmentation.SegmentCount(d, mtu);
        var buffer = new byte[TcpSegmentation.MaxSegmentLength(d, mtu)];
        for (int i = 0; i < count; i++)
            segments.Add(buffer[..TcpSegmentation.WriteSegment(d, mtu, i, buffer)]);
        return segments;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_super_frame_becomes_MTU_sized_segments_that_carry_its_payload_in_order(bool ipv6, bool vlan)
    {
        byte[] payload = Payload(7000);
        byte[] frame = SuperFrame(ipv6, vlan, Ack | Psh | Fin | Cwr | Ece, payload);
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length, out DecodedPacket original);
        int headers = original.IpHeaderLength + 32;
        int perSegment = 1500 - headers;

        List<byte[]> segments = Split(frame, 1500);

        Assert.Equal((7000 + perSegment - 1) / perSegment, segments.Count);
        var joined = new List<byte>();
        for (int i = 0; i < segments.Count; i++)
        {
            byte[] s = segments[i];
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(s, LinkType.Ethernet, s.Length, out DecodedPacket d));
            bool last = i == segments.Count - 1;
            Assert.Equal(last ? headers + 7000 - i * perSegment : 1500, d.IpTotalLength);
            Assert.Equal(s.Length, d.PayloadOffset + d.PayloadLength);
            Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
            Assert.Equal(original.PayloadOffset, d.PayloadOffset);   // the same headers
            Assert.True(frame.AsSpan(0, original.NetworkOffset).SequenceEqual(s.AsSpan(0, d.NetworkOffset)), "link header copied");
            Assert.True(original.TcpOptions.SequenceEqual(d.TcpOptions), "TCP options copied");
            if (ipv6)
            {
                Assert.Equal(48, d.IpHeaderLength);
                Assert.True(frame.AsSpan(original.NetworkOffset + 40, 8).SequenceEqual(s.AsSpan(d.NetworkOffset + 40, 8)), "extension header copied");
            }
            else
            {
                Assert.True(Checksums.VerifyIPv4Header(d));
                Assert.Equal((ushort)(0xFFFE + i), d.IpIdentification);   // wraps
                Assert.True(d.DontFragment);
                Assert.Equal(24, d.IpHeaderLength);
            }
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * perSegment)), d.Sequence);   // wraps too
            Assert.Equal(77u, d.Acknowledgment);
            TcpFlags expected = TcpFlags.Ack | TcpFlags.Ece | (i == 0 ? TcpFlags.Cwr : 0) | (last ? TcpFlags.Fin | TcpFlags.Psh : 0);
            Assert.Equal(expected, d.TcpFlags);
            joined.AddRange(d.Payload.ToArray());
        }
        Assert.Equal(payload, joined.ToArray());
    }

    [Fact]
    public void The_urgent_pointer_moves_with_the_sequence_number_and_ends_with_the_urgent_data()
    {
        // 1500 − 24 − 32 = 1444 bytes per segment; urgent data ends 2000 bytes in: inside the second segment.
        byte[] frame = SuperFrame(ipv6: false, vlan: false, Ack | Urg, Payload(5000), urgent: 2000);
        List<byte[]> segments = Split(frame, 1500);
        var seen = segments.Select(s =>
        {
            PacketDecoder.Decode(s, LinkType.Ethernet, s.Length, out DecodedPacket d);
            Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
            return ((d.TcpFlags & TcpFlags.Urg) != 0, d.UrgentPointer);
        }).ToList();
        Assert.Equal([(true, (ushort)2000), (true, (ushort)556), (false, (ushort)0), (false, (ushort)0)], seen);
    }

    [Fact]
    public void A_frame_that_already_fits_is_one_segment_equal_to_it()
    {
        byte[] frame = SuperFrame(ipv6: false, vlan: false, Ack | Psh, Payload(1000));
        List<byte[]> segments = Split(frame, 1500);
        Assert.Equal(frame, Assert.Single(segments));
    }

    public static TheoryData<string> Unsplittable() =>
        ["SYN", "RST", "UDP", "fragment", "payload not captured", "headers above the MTU", "no payload"];

    [Theory]
    [MemberData(nameof(Unsplittable))]
    public void What_cannot_be_split_is_refused(string what)
    {
        byte[] big = Payload(3000);
        byte[] frame = what switch
        {
            "SYN" => SuperFrame(false, false, Syn, big),
            "RST" => SuperFrame(false, false, Rst | Ack, big),
            "UDP" => PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, PacketBuilder.Udp(1, 2, big))),
            "fragment" => PacketBuilder.Ethernet(EtherTypes.IPv4,
                PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 6, PacketBuilder.Tcp(1, 2, 3, 4, Ack, big), fragmentField: 0x2000)),
            "payload not captured" => SuperFrame(false, false, Ack, big)[..2000],
            "headers above the MTU" => SuperFrame(false, false, Ack, big),
            _ => SuperFrame(false, false, Ack, []),
        };
        int mtu = what == "headers above the MTU" ? 56 : 1500;   // 24 + 32 bytes of headers leave no room for data
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length + (what == "payload not captured" ? 1000 : 0), out DecodedPacket d);
        Assert.Equal(0, TcpSegmentation.SegmentPayloadSize(d, mtu));
        Assert.Equal(0, TcpSegmentation.SegmentCount(d, mtu));
        var buffer = new byte[4000];
        try
        {
            TcpSegmentation.WriteSegment(d, mtu, 0, buffer);
            Assert.Fail("WriteSegment should refuse");
        }
        catch (ArgumentException)
        {
        }
    }

    [Fact]
    public void A_destination_too_small_or_an_index_out_of_range_is_refused()
    {
        byte[] frame = SuperFrame(false, false, Ack, Payload(3000));
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length, out DecodedPacket d);
        Assert.Equal(3, TcpSegmentation.SegmentCount(d, 1500));
        var buffer = new byte[TcpSegmentation.MaxSegmentLength(d, 1500)];
        Assert.Equal(14 + 1500, buffer.Length);
        bool Refused(Action a)
        {
            try
            {
                a();
                return false;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
        Assert.True(Refused(() => TcpSegmentation.WriteSegment(Decode(frame), 1500, 3, buffer)));
        Assert.True(Refused(() => TcpSegmentation.WriteSegment(Decode(frame), 1500, -1, buffer)));
        Assert.True(Refused(() => TcpSegmentation.WriteSegment(Decode(frame), 1500, 0, new byte[1000])));
        Assert.Equal(14 + 24 + 32 + 3000 - 2 * 1444, TcpSegmentation.WriteSegment(Decode(frame), 1500, 2, new byte[200]));
    }

    private static DecodedPacket Decode(byte[] frame)
    {
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length, out DecodedPacket d);
        return d;
    }

    public static TheoryData<int> FuzzedSuperFramesSeeds() => FuzzSeeds.Of(29);

    /// <summary>
    /// Mutated super-frames at random MTUs: segmentation never throws, and whatever it accepts comes out as frames that
    /// decode as TCP within the MTU with good checksums, carrying exactly the original payload.
    /// </summary>
    [Theory]
    [MemberData(nameof(FuzzedSuperFramesSeeds))]
    public void Fuzzed_super_frames_split_into_valid_segments_or_are_refused(int seed)
    {
        var rng = new Random(seed);
        byte[][] seeds =
        [
            SuperFrame(false, false, Ack | Psh, Payload(4000)),
            SuperFrame(true, true, Ack | Fin | Urg, Payload(9000), urgent: 3000),
            SuperFrame(false, true, Ack, Payload(65000)),
        ];
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] f = (byte[])seeds[rng.Next(seeds.Length)].Clone();
            for (int k = rng.Next(0, 6); k > 0; k--)
                f[rng.Next(Math.Min(f.Length, 120))] = (byte)rng.Next(256);   // the headers
            if (rng.Next(5) == 0)
                f = f[..rng.Next(f.Length + 1)];
            int mtu = rng.Next(3) == 0 ? rng.Next(0, 200) : rng.Next(200, 9001);
            PacketDecoder.Decode(f, LinkType.Ethernet, f.Length, out DecodedPacket d);
            int count = TcpSegmentation.SegmentCount(d, mtu);
            if (count == 0)
                continue;
            accepted++;
            var buffer = new byte[TcpSegmentation.MaxSegmentLength(d, mtu)];
            long carried = 0;
            for (int s = 0; s < count; s++)
            {
                int length = TcpSegmentation.WriteSegment(d, mtu, s, buffer);
                Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(buffer.AsSpan(0, length), LinkType.Ethernet, length, out DecodedPacket piece));
                Assert.True(piece.IsTcp);
                Assert.InRange(piece.IpTotalLength, 1, mtu);
                Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(piece));
                if (piece.IpVersion == 4)
                    Assert.True(Checksums.VerifyIPv4Header(piece));
                Assert.True(d.Payload.Slice((int)carried, piece.PayloadLength).SequenceEqual(piece.Payload));
                Assert.Equal(unchecked(d.Sequence + (uint)carried), piece.Sequence);
                carried += piece.PayloadLength;
            }
            Assert.Equal(d.PayloadLength, carried);
        }
        Assert.True(accepted > 1000, $"only {accepted} frames were splittable: the mutations are too harsh to test much");
    }
}
