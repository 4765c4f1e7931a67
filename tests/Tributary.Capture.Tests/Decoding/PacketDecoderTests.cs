using System.Buffers.Binary;
using Tributary.Capture.Decoding;

namespace Tributary.Capture.Tests.Decoding;

/// <summary>Link layers, IP corner cases and hostile input on hand-built frames.</summary>
public sealed class PacketDecoderTests
{
    private static readonly byte[] Segment = PacketBuilder.IPv4("192.0.2.1", "198.51.100.2", 6,
        PacketBuilder.Tcp(1234, 80, 1000, 2000, 0x18, "hello"u8.ToArray()));

    private static DecodedPacket Ok(byte[] frame, LinkType linkType)
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(frame, linkType, frame.Length, out DecodedPacket d));
        Assert.True(d.IsTcp);
        Assert.Equal("192.0.2.1", d.Source.ToString());
        Assert.Equal((ushort)80, d.DestinationPort);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(d.Payload));
        return d;
    }

    [Fact]
    public void Ethernet_with_qinq_mpls_and_pppoe()
    {
        DecodedPacket d = Ok(PacketBuilder.Ethernet(EtherTypes.IPv4, Segment, EtherTypes.QinQ, EtherTypes.Vlan), LinkType.Ethernet);
        Assert.Equal((2, 100, 22), (d.VlanCount, d.VlanId, d.NetworkOffset));

        byte[] mpls = [0x00, 0x01, 0x20, 0xff, 0x00, 0x01, 0x01, 0xff];     // two labels, bottom bit on the second
        d = Ok(PacketBuilder.Ethernet(EtherTypes.MplsUnicast, [.. mpls, .. Segment]), LinkType.Ethernet);
        Assert.Equal(2, d.MplsLabelCount);

        byte[] pppoe = [0x11, 0x00, 0x12, 0x34, 0, 0, 0x00, 0x21];
        BinaryPrimitives.WriteUInt16BigEndian(pppoe.AsSpan(4), (ushort)(Segment.Length + 2));
        d = Ok(PacketBuilder.Ethernet(EtherTypes.PppoeSession, [.. pppoe, .. Segment], EtherTypes.Vlan), LinkType.Ethernet);
        Assert.Equal(EtherTypes.IPv4, d.EtherType);
        Ok([.. pppoe[..6], 0x00, 0x21, .. Segment], LinkType.PppEther);

        byte[] ethPadding = [.. PacketBuilder.Ethernet(EtherTypes.IPv4, Segment), .. new byte[12]];
        Assert.Equal(5, Ok(ethPadding, LinkType.Ethernet).PayloadLength);    // padding is not payload
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(PacketBuilder.Ethernet(EtherTypes.Arp, new byte[28]), LinkType.Ethernet, 42, out _));
    }

    [Fact]
    public void Cooked_raw_loopback_and_ppp_link_layers()
    {
        byte[] sll = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(14), EtherTypes.IPv4);
        Ok([.. sll, .. Segment], LinkType.LinuxSll);
        byte[] sll2 = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(sll2, EtherTypes.IPv4);
        Ok([.. sll2, .. Segment], LinkType.LinuxSll2);
        Ok(Segment, LinkType.Raw);
        Ok(Segment, LinkType.IPv4);
        Ok([2, 0, 0, 0, .. Segment], LinkType.Null);        // little-endian AF_INET
        Ok([0, 0, 0, 2, .. Segment], LinkType.Null);        // big-endian writer
        Ok([0, 0, 0, 2, .. Segment], LinkType.Loop);
        Ok([0xff, 0x03, 0x00, 0x21, .. Segment], LinkType.Ppp);
        Ok([0x00, 0x21, .. Segment], LinkType.Ppp);
        Ok([0x21, .. Segment], LinkType.PppHdlc);            // protocol-field compression
        byte[] v6 = PacketBuilder.IPv6("2001:db8::1", "2001:db8::2", 17, PacketBuilder.Udp(53, 5353, [1, 2, 3]));
        foreach (uint family in new uint[] { 10, 24, 28, 30 })
        {
            byte[] f = [0, 0, 0, 0, .. v6];
            BinaryPrimitives.WriteUInt32LittleEndian(f, family);
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(f, LinkType.Null, f.Length, out DecodedPacket d));
            Assert.True(d.IsUdp);
            Assert.Equal(3, d.PayloadLength);
        }
        Assert.Equal(DecodeStatus.UnsupportedLinkType, PacketDecoder.Decode(Segment, (LinkType)147, Segment.Length, out _));
    }

    [Fact]
    public void IPv6_extension_headers_are_walked_to_the_transport()
    {
        byte[] tcp = PacketBuilder.Tcp(1, 2, 3, 4, 0x02, []);
        byte[] ext = [60, 0, 1, 4, 0, 0, 0, 0, /* hop-by-hop → dst opts */ 43, 0, 1, 4, 0, 0, 0, 0, /* dst opts → routing */
            6, 0, 0, 0, 0, 0, 0, 0 /* routing type 0, 0 segments left → TCP */];
        byte[] p = PacketBuilder.IPv6("fd00::1", "fd00::2", 0, tcp, ext);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeIp(p, out DecodedPacket d));
        Assert.Equal((IpProtocol.Tcp, 64, true), (d.Protocol, d.IpHeaderLength, d.IsTcp));
        Assert.Equal(TcpFlags.Syn, d.TcpFlags);

        byte[] atomic = PacketBuilder.IPv6("fd00::1", "fd00::2", 44, tcp, [6, 0, 0, 0, 0, 0, 0, 9]);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeIp(atomic, out d));
        Assert.True(d.HasFragmentHeader);
        Assert.False(d.IsFragment);       // RFC 6946 atomic fragment
        Assert.True(d.IsTcp);

        byte[] loop = PacketBuilder.IPv6("fd00::1", "fd00::2", 0, [], [0, 0, 0, 0, 0, 0, 0, 0]);   // hop-by-hop claims another one beyond the end
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.DecodeIp(loop, out _));
    }

    [Fact]
    public void Inconsistent_lengths_are_malformed_and_snapshot_cuts_truncated()
    {
        byte[] frame = PacketBuilder.Ethernet(EtherTypes.IPv4, Segment);
        // IP total length larger than the frame on the wire
        byte[] big = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(16), 1000);
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(big, LinkType.Ethernet, big.Length, out DecodedPacket d));
        Assert.Equal(4, d.IpVersion);       // the header is still reported
        // ...but only cut by the snapshot length when the wire frame was that long
        Assert.Equal(DecodeStatus.Truncated, PacketDecoder.Decode(frame[..40], LinkType.Ethernet, frame.Length, out d));
        Assert.True(d.IsTcp == false && d.IpVersion == 4);
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(frame[..40], LinkType.Ethernet, 40, out _));
        // IHL below 5, TCP data offset below 5 and beyond the segment
        byte[] ihl = (byte[])frame.Clone();
        ihl[14] = 0x44;
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(ihl, LinkType.Ethernet, ihl.Length, out _));
        byte[] doff = (byte[])frame.Clone();
        doff[14 + 20 + 12] = 0x30;
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(doff, LinkType.Ethernet, doff.Length, out _));
        doff[14 + 20 + 12] = 0xF0;
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(doff, LinkType.Ethernet, doff.Length, out _));
        // UDP length beyond the datagram
        byte[] udp = PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, PacketBuilder.Udp(1, 2, [1, 2]));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(24), 200);
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.DecodeIp(udp, out _));
        // 9 VLAN tags
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(
            PacketBuilder.Ethernet(EtherTypes.IPv4, Segment, Enumerable.Repeat(EtherTypes.Vlan, 9).ToArray()), LinkType.Ethernet, 200, out _));
    }

    [Fact]
    public void Checksums_verify_and_update()
    {
        byte[] p = (byte[])Segment.Clone();
        PacketDecoder.DecodeIp(p, out DecodedPacket d);
        Assert.True(Checksums.VerifyIPv4Header(d));
        Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
        p[^1] ^= 1;
        PacketDecoder.DecodeIp(p, out d);
        Assert.Equal(ChecksumResult.Bad, Checksums.VerifyTransport(d));
        Assert.True(Checksums.UpdateTransport(p, d));
        PacketDecoder.DecodeIp(p, out d);
        Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
        // RFC 1624 incremental update equals a full recomputation
        ushort before = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(10));
        ushort oldTtl = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(8));
        p[8]--;
        ushort adjusted = Checksums.Adjust(before, oldTtl, BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(8)));
        PacketDecoder.DecodeIp(p, out d);
        Checksums.UpdateIPv4Header(p, d);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(10)), adjusted);
        byte[] udp4 = PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, PacketBuilder.Udp(1, 2, [1, 2, 3]));
        udp4[26] = udp4[27] = 0;
        PacketDecoder.DecodeIp(udp4, out d);
        Assert.Equal(ChecksumResult.Absent, Checksums.VerifyTransport(d));
        byte[] v6 = PacketBuilder.IPv6("2001:db8::1", "2001:db8::2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 0x10, new byte[1001]));
        PacketDecoder.DecodeIp(v6, out d);
        Assert.Equal(ChecksumResult.Good, Checksums.VerifyTransport(d));
    }

    [Fact]
    public void Mptcp_subtypes_outside_the_corpus()
    {
        static MptcpOption Parse(params byte[] value)
        {
            Assert.True(MptcpOption.TryParse(value, out MptcpOption o));
            return o;
        }
        MptcpOption rm = Parse(0x40, 3, 4, 5);
        Assert.Equal(MptcpSubtype.RemoveAddress, rm.Subtype);
        Assert.Equal([3, 4, 5], rm.AddressIds.ToArray());
        Assert.True(Parse(0x51).Backup);                               // MP_PRIO, RFC 8684 length 3
        Assert.Equal(7, Parse(0x50, 7).AddressId);                      // RFC 6824 form with address id
        Assert.Equal(0x0102030405060708UL, Parse(0x60, 0, 1, 2, 3, 4, 5, 6, 7, 8).DataSequence);   // MP_FAIL
        MptcpOption rst = Parse(0x81, 4);
        Assert.Equal((MptcpSubtype.TcpReset, (byte)4, (byte)1), (rst.Subtype, rst.ResetReason, rst.Flags));
        // ADD_ADDR IPv6 with port and HMAC (30 bytes total)
        byte[] add = [0x30, 9, .. System.Net.IPAddress.Parse("2001:db8::7").GetAddressBytes(), 0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8];
        MptcpOption a = Parse(add);
        Assert.Equal((6, "2001:db8::7", (ushort)8080, true, 0x0102030405060708UL), (a.AddressVersion, a.Address.ToString(), a.Port, a.HasHmac, a.TruncatedHmac));
        // DSS: 8-byte data ack, 4-byte DSN mapping with checksum, DATA_FIN
        byte[] dss = [0x20, 0x17, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 1, 0, 10, 0xab, 0xcd];
        MptcpOption m = Parse(dss);
        Assert.Equal((true, true, true, false, true, 9UL, 5UL, 1u, (ushort)10, true, (ushort)0xabcd),
            (m.HasDataAck, m.DataAckIs64Bit, m.HasMapping, m.DataSequenceIs64Bit, m.DataFin, m.DataAck, m.DataSequence,
             m.SubflowSequence, m.DataLevelLength, m.HasChecksum, m.Checksum));
        // MP_CAPABLE v1 third ACK with data and checksum (24 bytes)
        byte[] cap = [0x01, 0x81, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 0, 100, 0x12, 0x34];
        MptcpOption c = Parse(cap);
        Assert.Equal((1, 0x0101010101010101UL, 0x0202020202020202UL, (ushort)100, true), (c.Version, c.SenderKey, c.ReceiverKey, c.DataLevelLength, c.HasChecksum));
        Assert.False(MptcpOption.TryParse([0x10, 0, 0], out _));       // MP_JOIN of impossible length
        Assert.False(MptcpOption.TryParse([0x22, 0x01, 0, 0], out _));  // DSS announcing a data ack it lacks
    }

    [Fact]
    public void Tcp_option_walk_stops_at_malformed_lengths()
    {
        byte[] options = [1, 1, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 3, 3, 7, 5, 1];
        TcpOptionSummary s = TcpOptionSummary.Parse(options);
        Assert.Equal((true, (ushort)1460, true, true, 1u, 2u, true, (byte)7, true), (s.HasMaximumSegmentSize, s.MaximumSegmentSize,
            s.SackPermitted, s.HasTimestamps, s.TimestampValue, s.TimestampEchoReply, s.HasWindowScale, s.WindowScale, s.IsMalformed));
    }

    public static TheoryData<int> FuzzedFramesSeeds() => FuzzSeeds.Of(17);

    /// <summary>Random and mutated frames of every link type: the decoder never throws and never reports spans outside the frame.</summary>
    [Theory]
    [MemberData(nameof(FuzzedFramesSeeds))]
    public void Fuzzed_frames_never_crash_the_decoder(int seed)
    {
        var rng = new Random(seed);
        LinkType[] types = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Null, LinkType.Loop,
            LinkType.Ppp, LinkType.PppHdlc, LinkType.PppEther, LinkType.IPv4, LinkType.IPv6];
        byte[][] seeds =
        [
            PacketBuilder.Ethernet(EtherTypes.IPv4, Segment, EtherTypes.Vlan),
            PacketBuilder.Ethernet(EtherTypes.MplsUnicast, [0, 1, 1, 0xff, .. Segment]),
            PacketBuilder.IPv6Fragments("fd00::1", "fd00::2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 2, new byte[100]), 48, 1, true)[0],
            Segment,
        ];
        for (int i = 0; i < 200_000; i++)
        {
            byte[] f;
            if (i % 2 == 0)
            {
                f = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                for (int k = rng.Next(1, 8); k > 0; k--)
                    f[rng.Next(f.Length)] = (byte)rng.Next(256);
                if (rng.Next(4) == 0)
                    f = f[..rng.Next(f.Length + 1)];
            }
            else
            {
                f = new byte[rng.Next(0, 90)];
                rng.NextBytes(f);
            }
            LinkType type = types[rng.Next(types.Length)];
            int original = f.Length + (rng.Next(3) == 0 ? rng.Next(0, 2000) : 0);
            PacketDecoder.Decode(f, type, original, out DecodedPacket d);
            Assert.InRange(d.NetworkOffset, 0, Math.Max(f.Length, d.NetworkOffset));
            int total = d.Payload.Length + d.IpHeader.Length + d.IpPayload.Length + d.TcpOptions.Length;
            Assert.True(total >= 0);
            foreach (TcpOption o in new TcpOptionReader(d.TcpOptions))
                o.TryGetMptcp(out _);
            Checksums.VerifyTransport(d);
            Checksums.VerifyIPv4Header(d);
        }
    }
}
