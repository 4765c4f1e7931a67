using Tributary.Netlink;

namespace Tributary.Netlink.Tests;

public class NetlinkMessageReaderTests
{
    // A real NLMSG_ERROR reply (Linux 6.18) to RTM_NEWLINK of kind "dummy" on a kernel without the
    // dummy driver, with NETLINK_CAP_ACK and NETLINK_EXT_ACK set: flags CAPPED|ACK_TLVS, error -95,
    // the request's header, then NLMSGERR_ATTR_MSG "Unknown device type".
    private static readonly byte[] s_errorReply = Convert.FromHexString(
        "3c000000020000034d000000d5290000a1ffffff40000000100005064d000000d529000018000100556e6b6e6f776e20646576696365207479706500");

    [Fact]
    public void Error_reply_fixture_gives_errno_and_extended_ack_text()
    {
        var reader = new NetlinkMessageReader(s_errorReply);
        Assert.True(reader.MoveNext());
        NetlinkMessage m = reader.Current;
        Assert.Equal(NetlinkMessageType.Error, m.Type);
        Assert.Equal(NetlinkMessageFlags.Capped | NetlinkMessageFlags.AckTlvs, m.Flags);
        Assert.Equal(-95, m.ErrorCode);
        NetlinkException ex = NetlinkSocket.ErrorFromReply(m, "create link");
        Assert.Equal(95, ex.Errno);
        Assert.Equal("EOPNOTSUPP", ex.ErrnoName);
        Assert.Equal("Unknown device type", ex.ExtendedAckMessage);
        Assert.Equal("create link: Unknown device type: Operation not supported (EOPNOTSUPP)", ex.Message);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Truncated_datagram_is_reported_with_its_offset_and_stops_the_walk()
    {
        byte[] two = [.. s_errorReply, .. s_errorReply];
        byte[] cut = two[..(s_errorReply.Length + 20)];
        var reader = new NetlinkMessageReader(cut);
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
        Assert.True(reader.Malformed);
        Assert.Equal(s_errorReply.Length, reader.MalformedOffset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(15u)]
    [InlineData(1000u)]
    public void Bad_nlmsg_len_is_malformed(uint len)
    {
        byte[] d = (byte[])s_errorReply.Clone();
        BitConverter.TryWriteBytes(d, len);
        var reader = new NetlinkMessageReader(d);
        Assert.False(reader.MoveNext());
        Assert.True(reader.Malformed);
        Assert.Equal(0, reader.MalformedOffset);
    }

    [Fact]
    public void Attribute_with_bad_length_stops_the_walk_and_typed_reads_check_sizes()
    {
        byte[] attrs = [8, 0, 1, 0, 1, 2, 3, 4, /* second: len 40 > rest */ 40, 0, 2, 0, 0, 0];
        var r = new NetlinkAttributeReader(attrs);
        Assert.True(r.MoveNext());
        Assert.Equal(0x04030201u, r.Current.GetU32());
        Assert.False(r.Current.TryGetU64(out _));
        Assert.Throws<NetlinkProtocolException>(() => new NetlinkAttributeReader(attrs[..6]).Current.GetU64());
        Assert.False(r.MoveNext());
        Assert.True(r.Malformed);
    }

    public static TheoryData<int> RandomDatagramsSeeds() => FuzzSeeds.Of(12345);

    [Theory]
    [MemberData(nameof(RandomDatagramsSeeds))]
    public void Random_and_mutated_datagrams_never_throw(int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            byte[] d = i % 2 == 0 ? new byte[rng.Next(0, 200)] : (byte[])s_errorReply.Clone();
            if (i % 2 == 0)
                rng.NextBytes(d);
            else
                d[rng.Next(d.Length)] = (byte)rng.Next(256);
            var reader = new NetlinkMessageReader(d);
            while (reader.MoveNext())
            {
                NetlinkMessage m = reader.Current;
                var attrs = m.Attributes(rng.Next(0, 24));
                while (attrs.MoveNext())
                {
                    NetlinkAttribute a = attrs.Current;
                    a.TryGetU32(out _);
                    a.TryGetU64(out _);
                    _ = a.StringBytes;
                    foreach (NetlinkAttribute n in a.Nested)
                        n.TryGetU16(out _);
                }
                if (m.Type == NetlinkMessageType.Error)
                    _ = NetlinkSocket.ErrorFromReply(m, null);
            }
        }
    }
}
