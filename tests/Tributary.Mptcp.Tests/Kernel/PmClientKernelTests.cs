using System.Net;
using System.Net.Sockets;
using Tributary.Netlink;

namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>
/// The kernel PM client against the real kernel, each test in a fresh network namespace, cross-checked
/// with iproute2 (<c>ip mptcp endpoint show</c>, <c>ip mptcp limits show</c>).
/// </summary>
public class PmClientKernelTests
{
    private static TestNetworkNamespace NewNamespace()
    {
        var ns = TestNetworkNamespace.Create("mpc");
        // No dummy driver here (FEASIBILITY §0): a port-less bridge holds addresses and goes up and down.
        ns.Ip("link", "add", "br0", "type", "bridge");
        ns.Ip("link", "set", "br0", "up");
        ns.Ip("addr", "add", "192.0.2.1/24", "dev", "br0");
        ns.Ip("addr", "add", "2001:db8::7/64", "dev", "br0", "nodad");
        return ns;
    }

    private static int IfIndex(TestNetworkNamespace ns, string dev) =>
        int.Parse(ns.Exec("cat", $"/sys/class/net/{dev}/ifindex").EnsureSuccess("ifindex").StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static string Endpoints(TestNetworkNamespace ns) => ns.Ip("mptcp", "endpoint", "show").Replace(" \n", "\n", StringComparison.Ordinal).Trim();

    [KernelFact]
    public void Limits_round_trip_and_match_iproute2()
    {
        using var ns = NewNamespace();
        using var pm = MptcpPmClient.Open(ns.Name);
        Assert.Equal(new MptcpLimits(2, 0), pm.GetLimits());
        pm.SetLimits(new MptcpLimits(5, 3));
        Assert.Equal(new MptcpLimits(5, 3), pm.GetLimits());
        Assert.Equal("add_addr_accepted 3 subflows 5", ns.Ip("mptcp", "limits", "show").Trim());
        var ex = Assert.Throws<NetlinkException>(() => pm.SetLimits(new MptcpLimits(9, 0)));
        Assert.Equal(22, ex.Errno);
        Assert.False(string.IsNullOrEmpty(ex.ExtendedAckMessage));
        Assert.Equal(new MptcpLimits(5, 3), pm.GetLimits());
    }

    [KernelFact]
    public void Endpoint_add_get_dump_flags_remove_flush_match_iproute2()
    {
        using var ns = NewNamespace();
        int br0 = IfIndex(ns, "br0");
        using var pm = MptcpPmClient.Open(ns.Name);
        pm.AddEndpoint(new MptcpEndpoint(5, IPAddress.Parse("192.0.2.1"), MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, br0));
        pm.AddEndpoint(new MptcpEndpoint(7, IPAddress.Parse("2001:db8::7"), MptcpEndpointFlags.Signal, 0, 0x1234));
        Assert.Equal("192.0.2.1 id 5 subflow backup dev br0\n2001:db8::7 port 4660 id 7 signal", Endpoints(ns));

        Assert.Equal(new MptcpEndpoint(5, IPAddress.Parse("192.0.2.1"), MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, br0), pm.GetEndpoint(5));
        Assert.Equal(new MptcpEndpoint(7, IPAddress.Parse("2001:db8::7"), MptcpEndpointFlags.Signal, 0, 0x1234), pm.GetEndpoint(7));
        IReadOnlyList<MptcpEndpoint> all = pm.DumpEndpoints();
        Assert.Equal([5, 7], all.Select(e => (int)e.Id));

        pm.SetEndpointFlags(5, MptcpEndpointFlags.None);
        Assert.Equal(MptcpEndpointFlags.Subflow, pm.GetEndpoint(5).Flags);
        pm.SetEndpointFlags(IPAddress.Parse("192.0.2.1"), MptcpEndpointFlags.Backup);
        Assert.Equal("192.0.2.1 id 5 subflow backup dev br0", Endpoints(ns).Split('\n')[0]);

        pm.RemoveEndpoint(7);
        Assert.Equal("192.0.2.1 id 5 subflow backup dev br0", Endpoints(ns));
        var missing = Assert.Throws<NetlinkException>(() => pm.GetEndpoint(7));
        Assert.Equal(22, missing.Errno);
        pm.FlushEndpoints();
        Assert.Empty(pm.DumpEndpoints());
        Assert.Equal("", Endpoints(ns));
    }

    [KernelFact]
    public void Kernel_refusals_carry_errno_and_extended_ack_text()
    {
        using var ns = NewNamespace();
        using var pm = MptcpPmClient.Open(ns.Name);
        pm.AddEndpoint(new MptcpEndpoint(1, IPAddress.Parse("192.0.2.1")));
        // Same id: EBUSY, as mptcpd's stale id manager provoked (ORACLE s03); same address under a new id: EEXIST.
        var dupId = Assert.Throws<NetlinkException>(() => pm.AddEndpoint(new MptcpEndpoint(1, IPAddress.Parse("192.0.2.3"))));
        Assert.Equal(16, dupId.Errno);
        Assert.Equal("EBUSY", dupId.ErrnoName);
        Assert.Contains("too many addresses or duplicate one", dupId.ExtendedAckMessage, StringComparison.Ordinal);
        Assert.StartsWith("add_addr: too many addresses or duplicate one", dupId.Message, StringComparison.Ordinal);
        var dupAddr = Assert.Throws<NetlinkException>(() => pm.AddEndpoint(new MptcpEndpoint(2, IPAddress.Parse("192.0.2.1"))));
        Assert.Equal("EEXIST", dupAddr.ErrnoName);

        for (int i = 2; i <= 8; i++)
            pm.AddEndpoint(new MptcpEndpoint((byte)i, IPAddress.Parse($"192.0.2.{i}")));
        var full = Assert.Throws<NetlinkException>(() => pm.AddEndpoint(new MptcpEndpoint(9, IPAddress.Parse("192.0.2.9"))));
        Assert.Equal(34, full.Errno); // ERANGE: the in-kernel PM holds at most 8 endpoints (SUMMARY pitfall 3)

        var token = Assert.Throws<NetlinkException>(() => pm.Announce(0x34567890, new MptcpAddress(IPAddress.Parse("192.0.2.1")), 0x90));
        Assert.Equal(22, token.Errno);
        Assert.Contains("invalid token", token.ExtendedAckMessage, StringComparison.Ordinal);
        var sf = Assert.Throws<NetlinkException>(() => pm.CreateSubflow(0x34567890, new MptcpAddress(IPAddress.Parse("192.0.2.1")), 1,
            new MptcpAddress(IPAddress.Parse("192.0.2.200"), 80)));
        Assert.Equal(22, sf.Errno);
        Assert.Throws<NetlinkException>(() => pm.DestroySubflow(0x34567890, new MptcpAddress(IPAddress.Parse("192.0.2.1"), 1000),
            new MptcpAddress(IPAddress.Parse("192.0.2.200"), 80)));
        Assert.Throws<NetlinkException>(() => pm.SetSubflowPriority(0x34567890, new MptcpAddress(IPAddress.Parse("192.0.2.1"), 1000),
            new MptcpAddress(IPAddress.Parse("192.0.2.200"), 80), true));
        Assert.Throws<NetlinkException>(() => pm.RemoveAnnouncement(0x34567890, 1));
    }

    [KernelFact]
    public void Api_misuse_throws_argument_exceptions()
    {
        using var ns = NewNamespace();
        using var pm = MptcpPmClient.Open(ns.Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => pm.RemoveEndpoint(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pm.GetEndpoint(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pm.Announce(1, new MptcpAddress(IPAddress.Loopback), 0));
        Assert.Throws<ArgumentException>(() => pm.CreateSubflow(1, new MptcpAddress(IPAddress.Loopback), 1, new MptcpAddress(IPAddress.Loopback)));
        Assert.Throws<ArgumentException>(() => pm.CreateSubflow(1, new MptcpAddress(IPAddress.Loopback), 1, new MptcpAddress(IPAddress.IPv6Loopback, 80)));
        pm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pm.GetLimits());
    }

    [KernelFact("ip")]
    public async Task Events_of_a_loopback_connection_match_ip_mptcp_monitor()
    {
        using var ns = NewNamespace();
        using var listener = MptcpEventListener.Open(ns.Name);
        using var monitor = new BackgroundProcess("ip", "-n", ns.Name, "mptcp", "monitor");
        await Task.Delay(300); // let the monitor join the group

        using (Socket server = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name))
        {
            server.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0));
            server.Listen();
            using Socket client = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name);
            await client.ConnectAsync(server.LocalEndPoint!).WithTimeout();
            using Socket accepted = await server.AcceptAsync().WithTimeout();
            MptcpInfo? info = MptcpSocket.GetInfo(client);
            Assert.NotNull(info);
            Assert.NotEqual(0u, info!.Token);
        }

        var seen = new List<MptcpEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (MptcpEvent e in listener.ReadEventsAsync(cts.Token))
        {
            seen.Add(e);
            if (seen.Count(x => x.Type == MptcpEventType.Closed) == 2 && seen.Count(x => x.Type == MptcpEventType.ListenerClosed) == 1)
                break;
        }
        Assert.Single(seen, e => e.Type == MptcpEventType.ListenerCreated);
        Assert.Equal(2, seen.Count(e => e.Type == MptcpEventType.Created));
        MptcpConnectionEvent server1 = seen.OfType<MptcpConnectionEvent>().Single(e => e.Type == MptcpEventType.Created && e.ServerSide);
        MptcpConnectionEvent client1 = seen.OfType<MptcpConnectionEvent>().Single(e => e.Type == MptcpEventType.Created && !e.ServerSide);
        Assert.Equal(server1.Local, client1.Remote);
        Assert.Equal(client1.Local, server1.Remote);
        Assert.Equal(0, listener.MalformedMessages);

        TaskTimeouts.WaitUntil(() => monitor.Output.Split('\n').Count(l => l.Contains("CLOSED]", StringComparison.Ordinal) && !l.Contains("LISTENER", StringComparison.Ordinal)) >= 2,
            TimeSpan.FromSeconds(10), "ip mptcp monitor output");
        string text = monitor.Output;
        foreach (MptcpConnectionEvent c in seen.OfType<MptcpConnectionEvent>().Where(e => e.Type == MptcpEventType.Created))
            Assert.Contains($"token={c.Token:x8}", text, StringComparison.Ordinal);
        Assert.Contains($"sport={client1.Local.Port}", text, StringComparison.Ordinal);
    }
}
