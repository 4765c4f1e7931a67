using System.Net;
using System.Net.Sockets;
using Tributary.Links;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>
/// sspi with the userspace path manager in the lab (ORACLE s06, corrected): it opens one subflow per
/// interface, closes a second subflow on an interface (and keeps its bookkeeping right), extends a live
/// connection onto a new interface, and on the server side announces one address per interface.
/// </summary>
public class SspiLabTests
{
    private static async Task<List<MptcpEvent>> Collect(MptcpEventListener events, Func<List<MptcpEvent>, bool> until, int seconds = 10)
    {
        var seen = new List<MptcpEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await foreach (MptcpEvent e in events.ReadEventsAsync(cts.Token))
            {
                seen.Add(e);
                if (until(seen))
                    return seen;
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException("events seen: " + string.Join(" | ", seen));
    }

    private static bool IsSubflow(MptcpEvent e, MptcpEventType type, IPAddress local) =>
        e is MptcpSubflowEvent s && s.Type == type && s.Local.Address.Equals(local);

    [KernelFact]
    public async Task Client_gets_one_subflow_per_interface_duplicates_are_closed_and_new_interfaces_join()
    {
        using var lab = new MptcpLab();
        lab.Client.Sysctl("net.mptcp.pm_type", "1");
        // A third path whose peer side is down: c3 is not RUNNING, so not tracked, until s3 comes up.
        lab.Client.Ip("link", "add", "c3", "type", "veth", "peer", "name", "s3", "netns", lab.Server.Name);
        lab.Client.Ip("addr", "add", "10.11.3.1/24", "dev", "c3");
        lab.Server.Ip("addr", "add", "10.11.3.2/24", "dev", "s3");
        lab.Client.Ip("link", "set", "c3", "up");
        lab.Client.Sysctl("net.ipv4.conf.c3.rp_filter", "0");
        lab.Client.Ip("route", "add", "default", "via", "10.11.3.2", "dev", "c3", "metric", "300", "onlink");
        var log = new ListLogger();
        using PathManager pm = AddrAdvLabTests.StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.None,
            plugins: "sspi", defaultPlugin: "sspi");
        SspiPlugin sspi = pm.Plugins.OfType<SspiPlugin>().Single();
        Assert.Equal("", lab.ClientEndpoints); // sspi never touches endpoints or limits
        using var events = MptcpEventListener.Open(lab.Client.Name);
        lab.StartServer(5201);

        using Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await c.SendAsync(new byte[1000]);
        List<MptcpEvent> seen = await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2)));
        uint token = seen.OfType<MptcpConnectionEvent>().First().Token;
        var sub = (MptcpSubflowEvent)seen.Single(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2));
        Assert.Equal(new IPEndPoint(MptcpLab.S1, 5201), sub.Remote);
        Assert.Equal(3, sub.InterfaceIndex);
        TaskTimeouts.WaitUntil(() => MptcpSocket.GetInfo(c)!.Subflows == 1, TimeSpan.FromSeconds(15), "one extra subflow");

        // A second subflow on c1 (made behind sspi's back) is closed: one subflow per interface.
        using var pmc = MptcpPmClient.Open(lab.Client.Name);
        pmc.CreateSubflow(token, new MptcpAddress(MptcpLab.C1), 9, new MptcpAddress(MptcpLab.S2, 5201));
        await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowClosed, MptcpLab.C1)));
        // And a second one on c2 from another address.
        lab.Client.Ip("addr", "add", "10.11.2.11/24", "dev", "c2");
        TaskTimeouts.WaitUntil(() => pm.Interfaces.Any(i => i.Name == "c2" && i.Addresses.Contains(IPAddress.Parse("10.11.2.11"))), TimeSpan.FromSeconds(15), "c2's second address");
        pmc.CreateSubflow(token, new MptcpAddress(IPAddress.Parse("10.11.2.11")), 10, new MptcpAddress(MptcpLab.S1, 5201), 0, 3);
        await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowClosed, IPAddress.Parse("10.11.2.11"))));
        await c.SendAsync(new byte[1000]);
        TaskTimeouts.WaitUntil(() => MptcpSocket.GetInfo(c)!.Subflows == 1, TimeSpan.FromSeconds(15), "back to one extra subflow");
        Assert.Equal(2, log.Lines.Count(l => l.Contains("Subflow already exists on network interface", StringComparison.Ordinal)));

        // A new interface joins the live connection.
        var c3 = IPAddress.Parse("10.11.3.1");
        lab.Server.Ip("link", "set", "s3", "up");
        await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowEstablished, c3)));
        await c.SendAsync(new byte[1000]);
        TaskTimeouts.WaitUntil(() => MptcpSocket.GetInfo(c)!.Subflows == 2, TimeSpan.FromSeconds(15), "a subflow on the new interface");

        c.Shutdown(SocketShutdown.Both);
        c.Close();
        TaskTimeouts.WaitUntil(() => sspi.ConnectionCount == 0, TimeSpan.FromSeconds(20), "the connection to be forgotten at CLOSED");
        Assert.DoesNotContain(log.Lines, l => l.Contains("Untracked connection closed.", StringComparison.Ordinal)); // mptcpd's bookkeeping bug (s06)
        Assert.Empty(log.Errors);
    }

    [KernelFact]
    public async Task Server_announces_one_address_per_other_interface_and_the_client_joins_it()
    {
        using var lab = new MptcpLab();
        lab.Server.Sysctl("net.mptcp.pm_type", "1");
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "2", "add_addr_accepted", "2");
        var log = new ListLogger();
        using PathManager pm = AddrAdvLabTests.StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.None,
            plugins: "sspi", defaultPlugin: "sspi", ns: lab.Server.Name);
        using var events = MptcpEventListener.Open(lab.Client.Name);
        lab.StartServer(5201);
        using Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await c.SendAsync(new byte[1000]);
        List<MptcpEvent> seen = await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2)));
        MptcpAddressAnnouncedEvent announced = seen.OfType<MptcpAddressAnnouncedEvent>().Single();
        Assert.Equal(MptcpLab.S2, announced.Remote.Address);
        Assert.NotEqual(0, announced.Remote.Port);
        var sub = (MptcpSubflowEvent)seen.Single(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2));
        Assert.Equal(announced.Remote, sub.Remote);
        MptcpInfo info = MptcpSocket.GetInfo(c)!;
        Assert.Equal(1, info.AddAddrAccepted);
        Assert.Equal(1, info.Subflows);
        Assert.Equal(1, pm.Listeners.Count); // the listener behind the announced address
        Assert.Empty(log.Errors);
    }

    [KernelFact]
    public async Task An_excluded_interface_gets_no_subflow_and_no_announcement()
    {
        // The two tests above, with c2 (client) and s2 (server) excluded: the connection stays on its first path.
        // Without the exclusion the same set-up gets a subflow from c2 and an announcement of s2 within a second.
        using var lab = new MptcpLab();
        lab.Client.Sysctl("net.mptcp.pm_type", "1");
        lab.Server.Sysctl("net.mptcp.pm_type", "1");
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "2", "add_addr_accepted", "2");
        var log = new ListLogger();
        using PathManager client = AddrAdvLabTests.StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.None,
            plugins: "sspi", defaultPlugin: "sspi", excludeInterfaces: [InterfacePattern.Parse("c2")]);
        using PathManager server = AddrAdvLabTests.StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.None,
            plugins: "sspi", defaultPlugin: "sspi", ns: lab.Server.Name, excludeInterfaces: [InterfacePattern.Parse("s*2")]);
        using var events = MptcpEventListener.Open(lab.Client.Name);
        lab.StartServer(5201);
        using Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await c.SendAsync(new byte[1000]);
        await Collect(events, l => l.Any(e => e.Type == MptcpEventType.Established));
        await Assert.ThrowsAsync<TimeoutException>(() => Collect(events,
            l => l.Any(e => e.Type is MptcpEventType.SubflowEstablished or MptcpEventType.Announced), seconds: 3));
        await c.SendAsync(new byte[1000]);
        MptcpInfo info = MptcpSocket.GetInfo(c)!;
        Assert.Equal((0, 0), (info.Subflows, info.AddAddrAccepted));
        Assert.Equal(0, server.Listeners.Count); // nothing announced, so no listener behind an announcement
        Assert.Empty(log.Errors);
    }

    [KernelFact]
    public async Task The_id_of_an_address_that_goes_away_is_freed_and_renumbering_does_not_use_up_the_ids()
    {
        using var lab = new MptcpLab();
        lab.Client.Sysctl("net.mptcp.pm_type", "1");
        var log = new ListLogger();
        using PathManager pm = AddrAdvLabTests.StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.None,
            plugins: "sspi", defaultPlugin: "sspi");
        using var events = MptcpEventListener.Open(lab.Client.Name);
        lab.StartServer(5201);
        using Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await c.SendAsync(new byte[1000]);
        List<MptcpEvent> seen = await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2)));
        byte first = seen.OfType<MptcpSubflowEvent>().Single(e => IsSubflow(e, MptcpEventType.SubflowEstablished, MptcpLab.C2)).LocalId;
        Assert.Equal(first, pm.Ids.FindId(MptcpLab.C2));

        // c2 is renumbered three times: each time the subflow from the old address goes, one from the new comes.
        IPAddress previous = MptcpLab.C2;
        for (int k = 0; k < 3; k++)
        {
            var next = IPAddress.Parse($"10.11.2.{50 + k}");
            lab.Client.Ip("addr", "del", $"{previous}/24", "dev", "c2");
            await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowClosed, previous)));
            TaskTimeouts.WaitUntil(() => pm.Ids.FindId(previous) == 0, TimeSpan.FromSeconds(10), $"{previous}'s id to be freed");
            lab.Client.Ip("addr", "add", $"{next}/24", "dev", "c2");
            seen = await Collect(events, l => l.Any(e => IsSubflow(e, MptcpEventType.SubflowEstablished, next)));
            Assert.Equal(first, seen.OfType<MptcpSubflowEvent>().Single(e => IsSubflow(e, MptcpEventType.SubflowEstablished, next)).LocalId);
            previous = next;
        }
        // Only c2's current address holds an id (the initial subflow's is 0): the renumbered ones hold none.
        Assert.Equal(1, pm.Ids.Count);
        Assert.Empty(log.Errors);
    }
}
