using System.Net;
using Tributary.Netlink;

namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>Request encoding (exact bytes, byte orders) and endpoint decoding, without a kernel.</summary>
public class EndpointDecodingTests
{
    [Fact]
    public void Address_nest_has_mptcpd_layout_with_host_order_port()
    {
        Span<byte> buf = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(28, NetlinkMessageFlags.None);
        w.WriteGenericHeader(1, 1);
        MptcpPmClient.PutAddress(ref w, 1, new MptcpAddress(IPAddress.Parse("192.0.2.1"), 0x1234), 5,
            MptcpEndpointFlags.Signal | MptcpEndpointFlags.Backup, 3);
        byte[] body = w.Finish()[20..].ToArray();
        byte[] expected = WireFixtures.Hex(
            "34000180" +          // nested MPTCP_PM_ATTR_ADDR, 52 bytes
            "06000100" + "02000000" + // FAMILY = AF_INET (host order u16)
            "08000300" + "c0000201" + // ADDR4 network order
            "06000500" + "34120000" + // PORT 0x1234 in host (little-endian) order
            "05000200" + "05000000" + // ID 5
            "08000600" + "05000000" + // FLAGS signal|backup
            "08000700" + "03000000"); // IF_IDX 3
        Assert.Equal(expected, body);
    }

    [Fact]
    public void Endpoint_nest_decodes_ipv6_and_rejects_family_mismatch()
    {
        byte[] v6 = WireFixtures.Hex("06000100" + "0a000000" + "14000400" + "fd110002000000000000000000000001" + "05000200" + "04000000"
            + "08000600" + "06000000" + "08000700" + "03000000");
        MptcpEndpoint? e = MptcpPmClient.ParseEndpoint(v6);
        Assert.Equal(new MptcpEndpoint(4, IPAddress.Parse("fd11:2::1"), MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, 3), e);
        Assert.Equal("fd11:2::1 id 4 subflow backup ifindex 3", e!.ToString());
        byte[] mismatch = WireFixtures.Hex("06000100" + "02000000" + "14000400" + "fd110002000000000000000000000001");
        Assert.Null(MptcpPmClient.ParseEndpoint(mismatch));
        Assert.Null(MptcpPmClient.ParseEndpoint(WireFixtures.Hex("0600")));
    }

    public static TheoryData<int> FuzzedEndpointNestsSeeds() => FuzzSeeds.Of(99);

    [Theory]
    [MemberData(nameof(FuzzedEndpointNestsSeeds))]
    public void Fuzzed_endpoint_nests_never_throw(int seed)
    {
        var rng = new Random(seed);
        byte[] nest = WireFixtures.Hex("06000100" + "02000000" + "08000300" + "0a0b0201" + "05000200" + "02000000" + "08000600" + "06000000");
        for (int i = 0; i < 100_000; i++)
        {
            byte[] m = (byte[])nest.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--)
                m[rng.Next(m.Length)] = (byte)rng.Next(256);
            _ = MptcpPmClient.ParseEndpoint(m.AsSpan(0, rng.Next(m.Length + 1)));
        }
    }

    [Fact]
    public void Mptcp_address_round_trips_and_compares_without_port()
    {
        var a = new MptcpAddress(IPAddress.Parse("fd11:1::1"), 5201);
        Assert.Equal("[fd11:1::1]:5201", a.ToString());
        Assert.True(a.SameAddress(IPAddress.Parse("fd11:1::1")));
        Assert.True(a.SameAddress(a.WithPort(0)));
        Assert.NotEqual(a, a.WithPort(0));
        Assert.False(a.SameAddress(IPAddress.Parse("10.0.0.1")));
        Assert.True(new MptcpAddress(IPAddress.Any).IsUnboundAddress);
        Assert.True(new MptcpAddress(IPAddress.Broadcast).IsUnboundAddress);
        Assert.True(new MptcpAddress(IPAddress.IPv6Any).IsUnboundAddress);
        Assert.False(new MptcpAddress(IPAddress.Loopback).IsUnboundAddress);
        Assert.True(default(MptcpAddress).IsNone);
        Assert.Null(default(MptcpAddress).ToIPAddress());
    }
}
