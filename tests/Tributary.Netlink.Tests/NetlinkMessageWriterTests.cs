using System.Buffers.Binary;
using Tributary.Netlink;

namespace Tributary.Netlink.Tests;

public class NetlinkMessageWriterTests
{
    [Fact]
    public void Header_attributes_and_nests_are_aligned_and_lengths_patched()
    {
        Span<byte> buf = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(0x1c, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack, 7, 99);
        w.WriteGenericHeader(1, 1);
        int nest = w.BeginNested(1);
        w.PutU16(1, 2);
        w.PutU8(2, 5);
        w.PutBytes(3, [10, 11, 1, 1]);
        w.EndNested(nest);
        w.PutString(9, "ab");
        Span<byte> msg = w.Finish();

        Assert.Equal(msg.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(msg));
        Assert.Equal(0, msg.Length % 4);
        Assert.Equal((ushort)0x1c, BinaryPrimitives.ReadUInt16LittleEndian(msg[4..]));
        Assert.Equal((ushort)5, BinaryPrimitives.ReadUInt16LittleEndian(msg[6..]));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(msg[8..]));
        Assert.Equal(99u, BinaryPrimitives.ReadUInt32LittleEndian(msg[12..]));
        // nest at 20: header 4 + u16 attr 8 + u8 attr 8 + 4-byte attr 8 = 28, type has NLA_F_NESTED
        Assert.Equal(28, BinaryPrimitives.ReadUInt16LittleEndian(msg[20..]));
        Assert.Equal(0x8001, BinaryPrimitives.ReadUInt16LittleEndian(msg[22..]));
        // string "ab" + NUL: nla_len 7, padded to 8
        Assert.Equal(7, BinaryPrimitives.ReadUInt16LittleEndian(msg[48..]));
        Assert.Equal(56, msg.Length);

        var reader = new NetlinkMessageReader(msg);
        Assert.True(reader.MoveNext());
        NetlinkMessage m = reader.Current;
        Assert.Equal(1, m.GenericCommand);
        int seen = 0;
        foreach (NetlinkAttribute a in m.Attributes(4))
        {
            seen++;
            if (a.Type == 1)
            {
                Assert.True(a.IsNested);
                var inner = new List<(ushort, int)>();
                foreach (NetlinkAttribute x in a.Nested)
                    inner.Add((x.Type, x.Payload.Length));
                Assert.Equal([(1, 2), (2, 1), (3, 4)], inner);
            }
            else
            {
                Assert.Equal(9, a.Type);
                Assert.Equal("ab", a.GetString());
                Assert.True(a.StringEquals("ab"u8));
            }
        }
        Assert.Equal(2, seen);
        Assert.False(reader.MoveNext());
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void A_request_that_does_not_fit_throws_instead_of_overrunning()
    {
        byte[] buf = new byte[24];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkMessageWriter(buf);
            w.BeginMessage(1, NetlinkMessageFlags.None);
            w.PutU64(1, 1);
        });
    }

    [Fact]
    public void Finish_without_a_header_is_misuse()
    {
        byte[] buf = new byte[24];
        Assert.Throws<InvalidOperationException>(() => new NetlinkMessageWriter(buf).Finish());
    }
}
