using System.Net;
using Tributary.Links;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links.Tests;

/// <summary>
/// Unit tests on real kernel messages captured once (Fixtures/kernel-events.hex): decoding, and the
/// monitor's reaction when they are fed to it in order. Link index 4242 exists in no namespace the
/// tests use, so the monitor's own kernel requests find nothing for it.
/// </summary>
public class FixtureTests
{
    private static readonly Dictionary<string, byte[]> s_events = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "kernel-events.hex"))
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split(' '))
        .ToDictionary(p => p[0], p => Convert.FromHexString(p[1]));

    private static NetlinkMessage Single(byte[] datagram)
    {
        var r = new NetlinkMessageReader(datagram);
        Assert.True(r.MoveNext());
        NetlinkMessage m = r.Current;
        Assert.False(r.MoveNext());
        Assert.False(r.Malformed);
        return m;
    }

    [Fact]
    public void Link_messages_decode()
    {
        NetlinkMessage m = Single(s_events["newlink_up"]);
        Assert.True(RtnetlinkMessages.TryParseLink(m, out LinkMessage up));
        Assert.False(up.Deleted);
        Assert.Equal(4242, up.Index);
        Assert.Equal("br42"u8.ToArray(), up.Name.ToArray());
        Assert.Equal(1, up.Type); // ARPHRD_ETHER
        Assert.Equal(InterfaceFlags.Up | InterfaceFlags.Broadcast | InterfaceFlags.Running | InterfaceFlags.Multicast | InterfaceFlags.LowerUp,
            (InterfaceFlags)up.Flags);

        Assert.True(RtnetlinkMessages.TryParseLink(Single(s_events["dellink"]), out LinkMessage del));
        Assert.True(del.Deleted);
    }

    [Theory]
    [InlineData("newaddr_v4", false, 2, 0, "10.42.0.1", 24)]
    [InlineData("newaddr_v6_global", false, 10, 0, "fd42::1", 64)]
    [InlineData("newaddr_v6_linklocal", false, 10, 253, "fe80::42", 64)]
    [InlineData("newaddr_v4_scope_host", false, 2, 254, "10.42.9.9", 32)]
    [InlineData("deladdr_v4", true, 2, 0, "10.42.0.1", 24)]
    public void Address_messages_decode(string fixture, bool deleted, int family, int scope, string address, int prefix)
    {
        NetlinkMessage m = Single(s_events[fixture]);
        Assert.True(RtnetlinkMessages.TryParseAddress(m, out AddressMessage a));
        Assert.Equal((deleted, family, scope, 4242, prefix), (a.Deleted, (int)a.Family, (int)a.Scope, a.Index, (int)a.PrefixLength));
        var found = new List<IPAddress>();
        foreach (NetlinkAttribute attr in new NetlinkAttributeReader(a.Attributes))
        {
            if (attr.Type == 1 && AddressKey.TryCreate(a.Family, attr.Payload, out AddressKey key))
                found.Add(key.ToIPAddress());
        }
        Assert.Equal([IPAddress.Parse(address)], found);
    }

    [Fact]
    public void The_captured_sequence_gives_mptcpds_callbacks()
    {
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.SkipLoopback);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        foreach (byte[] d in s_events.Values)
            m.InjectDatagram(d);
        Assert.Equal(
        [
            "new_interface br42",
            "new_address br42 10.42.0.1",
            "new_address br42 fd42::1",
            "new_address br42 fe80::42",
            // 10.42.9.9 is scope host: skipped (SkipLoopback)
            "delete_address br42 10.42.0.1",
            "delete_interface br42",
            // the DELADDRs after the link went down and the DELLINK concern an untracked link
        ], ops.Lines);
        Assert.Equal(0, m.MalformedMessageCount);
    }

    [Fact]
    public void Bridge_port_messages_are_not_link_changes()
    {
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.InjectDatagram(s_events["newlink_up"]);
        byte[] port = (byte[])s_events["dellink"].Clone();
        port[16] = 7; // ifi_family = AF_BRIDGE: a port left its bridge, the link itself stays
        m.InjectDatagram(port);
        Assert.Equal(["new_interface br42"], ops.Lines);
    }

    [Fact]
    public void Malformed_and_truncated_messages_are_skipped_with_a_warning_and_the_monitor_goes_on()
    {
        var log = new ListLogger();
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.None, new NetworkMonitorOptions { Logger = log });
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.InjectDatagram(s_events["newlink_up"]);

        byte[] addr = s_events["newaddr_v4"];
        m.InjectDatagram(addr[..20]);                               // nlmsg_len says more than there is
        byte[] shortHeader = (byte[])addr[..20].Clone();
        BitConverter.TryWriteBytes(shortHeader, 20);                // an RTM_NEWADDR with a 4-byte payload
        m.InjectDatagram(shortHeader);
        byte[] badAttr = (byte[])addr.Clone();
        BitConverter.TryWriteBytes(badAttr.AsSpan(24), (ushort)200); // IFA_ADDRESS length past the end
        m.InjectDatagram(badAttr);
        byte[] shortAddress = (byte[])addr.Clone();
        BitConverter.TryWriteBytes(shortAddress.AsSpan(24), (ushort)6); // a 2-byte IPv4 address
        m.InjectDatagram(shortAddress);

        Assert.Equal(4, m.MalformedMessageCount);
        Assert.Equal(4, log.Lines.Count(l => l.StartsWith("Warning: skipped a malformed rtnetlink message", StringComparison.Ordinal)));
        m.InjectDatagram(addr);
        Assert.Equal(["new_interface br42", "new_address br42 10.42.0.1"], ops.Lines);
    }

    public static TheoryData<int> FuzzedDatagramsSeeds() => FuzzSeeds.Of(7);

    [Theory]
    [MemberData(nameof(FuzzedDatagramsSeeds))]
    public void Fuzzed_datagrams_never_throw_and_never_contradict(int seed)
    {
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.None);
        var checker = new ReplayChecker();
        m.RegisterOps(checker);
        var rng = new Random(seed);
        byte[][] seeds = [.. s_events.Values];
        for (int i = 0; i < 30000; i++)
        {
            byte[] d = (byte[])seeds[rng.Next(seeds.Length)].Clone();
            int flips = rng.Next(0, 4);
            for (int f = 0; f < flips; f++)
                d[rng.Next(d.Length)] = (byte)rng.Next(256);
            if (rng.Next(8) == 0)
                d = d[..rng.Next(d.Length)];
            m.InjectDatagram(d);
        }
        Assert.Empty(checker.Violations);
        Assert.True(m.MalformedMessageCount > 0);
    }
}
