using System.Buffers.Binary;
using Tributary.Capture.Decoding;
using Tributary.Testing;

namespace Tributary.Capture.Tests.Decoding;

/// <summary>
/// Software UDP segmentation of GSO super-datagrams: every datagram is valid (lengths, IPv4 id and header checksum,
/// UDP checksum over the pseudo-header), carries the next slice of the payload, and what cannot be split is refused.
/// </summary>
public sealed class UdpSegmentationTests
{
    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        return payload;
    }

    private static byte[] SuperDatagram(bool ipv6, bool vlan, byte[] payload)
    {
        byte[] udp = PacketBuilder.Udp(40000, 443, payload);
        byte[] ip = ipv6
            ? PacketBuilder.IPv6("fd00::1", "fd00::2", 60, [17, 0, 1, 4, 0, 0, 0, 0, .. udp])   // destination options, then UDP
            : PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, udp, id: 0xFFFF, fragmentField: 0x4000);
        return PacketBuilder.Ethernet(ipv6 ? EtherTypes.IPv6 : EtherTypes.IPv4, ip, vlan ? [EtherTypes.Vlan] : []);
    }

    private static DecodedPacket Decode(byte[] frame)
    {
        PacketDecoder.Decode(frame, LinkType.Ethernet, frame.Length, out DecodedPacket d);
        return d;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_GSO_datagram_becomes_the_sender_s_datagrams(bool ipv6, bool vlan)
    {
        byte[] payload = Payload(3500);
        byte[] frame = SuperDatagram(ipv6, vlan, payload);
        DecodedPacket original = Decode(frame);
        Assert.Equal(4, UdpSegmentation.SegmentCount(original, 1000, 1500));
        var buffer = new byte[UdpSegmentation.MaxSegmentLength(original, 1000)];
        var joined = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            int length = UdpSegmentation.WriteSegment(Decode(frame), 1000, 1500, i, buffer);
            byte[] datagram = buffer[..length];
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(datagram, LinkType.Ethernet, length, out DecodedPacket d));
            Assert.Equal(i < 3 ? 1000 : 500, d.PayloadLength);
            Assert.Equal(d.PayloadLength + 8, d.UdpLength);
            Assert.Equal(original.IpHeaderLength + d.UdpLength, d.IpTotalLength);
            Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
            Assert.Equal((40000, 443), (d.SourcePort, d.DestinationPort));
            Assert.Equal(original.TransportOffset, d.TransportOffset);
            Assert.True(frame.AsSpan(0, original.NetworkOffset).SequenceEqual(datagram.AsSpan(0, d.NetworkOffset)), "link header copied");
            if (!ipv6)
            {
                Assert.True(Checksums.VerifyIPv4Header(d));
                Assert.Equal((ushort)(0xFFFF + i), d.IpIdentification);   // wraps
                Assert.True(d.DontFragment);
            }
            joined.AddRange(d.Payload.ToArray());
        }
        Assert.Equal(payload, joined.ToArray());
    }

    [Fact]
    public void What_cannot_be_split_is_refused()
    {
        byte[] frame = SuperDatagram(false, false, Payload(3000));
        Assert.Equal(0, UdpSegmentation.SegmentCount(Decode(frame), 0, 1500));        // segment size unknown
        Assert.Equal(0, UdpSegmentation.SegmentCount(Decode(frame), 1473, 1500));     // 20 + 8 + 1473 > 1500
        Assert.Equal(3, UdpSegmentation.SegmentCount(Decode(frame), 1472, 1500));     // 20 + 8 + 1472 = 1500 fits
        byte[] tcp = PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 0x10, Payload(3000))));
        Assert.Equal(0, UdpSegmentation.SegmentCount(Decode(tcp), 1000, 1500));
        byte[] fragment = PacketBuilder.Ethernet(EtherTypes.IPv4,
            PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, PacketBuilder.Udp(1, 2, Payload(3000)), fragmentField: 0x2000));
        Assert.Equal(0, UdpSegmentation.SegmentCount(Decode(fragment), 1000, 1500));
        byte[] cut = frame[..2000];
        PacketDecoder.Decode(cut, LinkType.Ethernet, frame.Length, out DecodedPacket d);
        Assert.Equal(0, UdpSegmentation.SegmentCount(d, 1000, 1500));
        Assert.Throws<ArgumentException>(() => UdpSegmentation.WriteSegment(Decode(tcp), 1000, 1500, 0, new byte[2000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpSegmentation.WriteSegment(Decode(frame), 1000, 1500, 3, new byte[2000]));
        Assert.Throws<ArgumentException>(() => UdpSegmentation.WriteSegment(Decode(frame), 1000, 1500, 0, new byte[100]));
    }

    [Fact]
    public void A_checksum_that_computes_to_zero_is_sent_as_all_ones()
    {
        // RFC 768: a computed 0 becomes 0xFFFF (0 means "no checksum" over IPv4). Search for a payload that sums to 0.
        for (int x = 0; x < 65536; x++)
        {
            byte[] payload = [(byte)(x >> 8), (byte)x, 0, 0];
            byte[] frame = SuperDatagram(false, false, [.. payload, .. payload]);
            var buffer = new byte[100];
            int length = UdpSegmentation.WriteSegment(Decode(frame), 4, 1500, 0, buffer);
            ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(14 + 20 + 6));
            Assert.NotEqual(0, checksum);
            PacketDecoder.Decode(buffer.AsSpan(0, length), LinkType.Ethernet, length, out DecodedPacket d);
            Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
            if (checksum == 0xFFFF)
                return;
        }
        Assert.Fail("no payload gave a zero checksum");
    }

    public static TheoryData<int> FuzzedDatagramsSeeds() => FuzzSeeds.Of(31);

    /// <summary>Mutated super-datagrams at random segment sizes and MTUs: never a throw, and what is accepted comes out valid and whole.</summary>
    [Theory]
    [MemberData(nameof(FuzzedDatagramsSeeds))]
    public void Fuzzed_super_datagrams_split_into_valid_datagrams_or_are_refused(int seed)
    {
        var rng = new Random(seed);
        byte[][] seeds = [SuperDatagram(false, false, Payload(4000)), SuperDatagram(true, true, Payload(9000))];
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] f = (byte[])seeds[rng.Next(seeds.Length)].Clone();
            for (int k = rng.Next(0, 5); k > 0; k--)
                f[rng.Next(Math.Min(f.Length, 100))] = (byte)rng.Next(256);
            if (rng.Next(5) == 0)
                f = f[..rng.Next(f.Length + 1)];
            int size = rng.Next(-10, 3000), mtu = rng.Next(0, 9001);
            PacketDecoder.Decode(f, LinkType.Ethernet, f.Length, out DecodedPacket d);
            int count = UdpSegmentation.SegmentCount(d, size, mtu);
            if (count == 0)
                continue;
            accepted++;
            var buffer = new byte[UdpSegmentation.MaxSegmentLength(d, size)];
            int carried = 0;
            for (int s = 0; s < count; s++)
            {
                int length = UdpSegmentation.WriteSegment(d, size, mtu, s, buffer);
                Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(buffer.AsSpan(0, length), LinkType.Ethernet, length, out DecodedPacket piece));
                Assert.True(piece.IsUdp);
                Assert.InRange(piece.IpTotalLength, 1, mtu);
                Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(piece));
                Assert.True(d.Frame.Slice(d.PayloadOffset + carried, piece.PayloadLength).SequenceEqual(piece.Payload));
                carried += piece.PayloadLength;
            }
            Assert.Equal(d.IpPayloadLength - 8, carried);
        }
        Assert.True(accepted > 1000, $"only {accepted} datagrams were splittable");
    }
}
