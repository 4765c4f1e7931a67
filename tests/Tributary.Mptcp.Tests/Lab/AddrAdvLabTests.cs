using System.Net;
using System.Net.Sockets;
using Tributary.Links;
using Tributary.Mptcp.Telemetry;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>
/// addr_adv in the two-path lab with real MPTCP connections: the endpoints of ORACLE s02, the second
/// subflow, and the corrected behaviour on address removal, link flap, carrier loss, restart and
/// administrator limits (ORACLE s01, s03, s12), and the 10,000-change burst (s08/s10).
/// </summary>
public class AddrAdvLabTests
{
    private const string S02Endpoints = "10.11.1.1 id 1 subflow dev c1\n10.11.2.1 id 2 subflow dev c2\nfd11:1::1 id 3 subflow dev c1\nfd11:2::1 id 4 subflow dev c2";

    internal static PathManager StartDaemon(MptcpLab lab, ListLogger log, NotifyFlags notify, MptcpEndpointFlags flags,
        bool removeOnExit = false, string plugins = "addr_adv", string? defaultPlugin = null, int monitorBuffer = 0, string? ns = null,
        IReadOnlyList<InterfacePattern>? excludeInterfaces = null, IReadOnlyList<InterfacePattern>? interfaces = null,
        IReadOnlyList<InterfaceEndpointFlags>? interfaceFlags = null)
    {
        var pm = PathManager.Create(new PathManagerOptions
        {
            NetworkNamespace = ns ?? lab.Client.Name,
            NotifyFlags = notify,
            AddressFlags = flags,
            LoadPlugins = plugins.Split(','),
            DefaultPlugin = defaultPlugin,
            PluginDirectory = EmptyPluginDirectory(),
            RemoveEndpointsOnExit = removeOnExit,
            MonitorReceiveBufferSize = monitorBuffer,
            Interfaces = interfaces,
            ExcludeInterfaces = excludeInterfaces ?? [],
            InterfaceFlags = interfaceFlags ?? [],
            Logger = log,
        });
        try
        {
            pm.Start();
            return pm;
        }
        catch
        {
            pm.Dispose();
            throw;
        }
    }

    internal static string EmptyPluginDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trib-mptcp-noplugins");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    private static void WaitForEndpoints(MptcpLab lab, string expected, string what, int seconds = 10)
    {
        try
        {
            TaskTimeouts.WaitUntil(() => lab.ClientEndpoints == expected, TimeSpan.FromSeconds(seconds), what);
        }
        catch (TimeoutException)
        {
            Assert.Equal(expected, lab.ClientEndpoints);
        }
    }

    private static EndpointReconcilerView Reconciler(PathManager pm) =>
        new(pm.Plugins.OfType<AddrAdvPlugin>().Single().Reconciler!);

    internal sealed class EndpointReconcilerView(Internal.EndpointReconciler r)
    {
        public long Failures => r.Failures;
    }

    [KernelFact]
    public async Task Existing_addresses_become_subflow_endpoints_and_a_connection_gets_its_second_subflow()
    {
        using var lab = new MptcpLab();
        var log = new ListLogger();
        using PathManager pm = StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback, MptcpEndpointFlags.Subflow);
        WaitForEndpoints(lab, S02Endpoints, "the s02 endpoints");
        Assert.Equal("add_addr_accepted 6 subflows 6", lab.ClientLimits);

        using var events = MptcpEventListener.Open(lab.Client.Name);
        lab.StartServer(5201);
        using Socket c = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await c.SendAsync(new byte[1000]); // the in-kernel PM adds subflows once the connection is fully established
        MptcpSubflowEvent sub = await NextSubflow(events);
        Assert.Equal(new IPEndPoint(MptcpLab.C2, sub.Local.Port), sub.Local);
        Assert.Equal(new IPEndPoint(MptcpLab.S1, 5201), sub.Remote);
        Assert.Equal(2, sub.LocalId);
        Assert.Equal(3, sub.InterfaceIndex); // bound to c2 by the endpoint's dev
        await c.SendAsync(new byte[100_000]);
        MptcpInfo info = MptcpSocket.GetInfo(c)!;
        Assert.Equal(1, info.Subflows);           // exactly one extra subflow, from c2 (s02)
        Assert.Equal(6, info.SubflowsMax);
        Assert.Equal(0, Reconciler(pm).Failures);
        Assert.Empty(log.Errors);
    }

    private static async Task<MptcpSubflowEvent> NextSubflow(MptcpEventListener events)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (MptcpEvent e in events.ReadEventsAsync(cts.Token))
        {
            if (e is MptcpSubflowEvent { Type: MptcpEventType.SubflowEstablished } s)
                return s;
        }
        throw new TimeoutException("no SUB_ESTABLISHED");
    }

    [KernelFact]
    public void Address_removal_link_flap_and_carrier_loss_are_reconciled()
    {
        using var lab = new MptcpLab();
        var log = new ListLogger();
        using PathManager pm = StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.Subflow);
        WaitForEndpoints(lab, S02Endpoints, "the initial endpoints");

        lab.Client.Ip("addr", "add", "10.11.2.11/24", "dev", "c2");
        WaitForEndpoints(lab, S02Endpoints + "\n10.11.2.11 id 5 subflow dev c2", "endpoint of an added address");
        Assert.Equal("add_addr_accepted 7 subflows 7", lab.ClientLimits);
        lab.Client.Ip("addr", "del", "10.11.2.11/24", "dev", "c2");
        WaitForEndpoints(lab, S02Endpoints, "removal of a deleted address's endpoint");

        // Link down: mptcpd kept both c2 endpoints (s03, #282, #334); they must go.
        lab.Client.Ip("link", "set", "c2", "down");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\nfd11:1::1 id 3 subflow dev c1", "c2's endpoints removed on link down");
        Assert.Equal("add_addr_accepted 4 subflows 4", lab.ClientLimits);
        // Link up: the kernel resends nothing for IPv4; the monitor re-reports it. Static IPv6 was deleted by the kernel.
        lab.Client.Ip("link", "set", "c2", "up");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\n10.11.2.1 id 2 subflow dev c2\nfd11:1::1 id 3 subflow dev c1", "c2's IPv4 endpoint back on link up");

        // After the flap, a delete and re-add of the address is followed exactly (mptcpd: stale id 2, then EBUSY).
        lab.Client.Ip("addr", "del", "10.11.2.1/24", "dev", "c2");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\nfd11:1::1 id 3 subflow dev c1", "endpoint removed after the flap");
        lab.Client.Ip("addr", "add", "10.11.2.1/24", "dev", "c2");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\n10.11.2.1 id 2 subflow dev c2\nfd11:1::1 id 3 subflow dev c1", "re-added address");

        // Carrier loss: the peer's side goes down, c2 stops RUNNING.
        lab.Server.Ip("link", "set", "s2", "down");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\nfd11:1::1 id 3 subflow dev c1", "c2's endpoint removed on carrier loss");
        lab.Server.Ip("link", "set", "s2", "up");
        WaitForEndpoints(lab, "10.11.1.1 id 1 subflow dev c1\n10.11.2.1 id 2 subflow dev c2\nfd11:1::1 id 3 subflow dev c1", "c2's endpoint back with the carrier");
        Assert.Equal(0, Reconciler(pm).Failures);
        Assert.Empty(log.Errors);
    }

    [KernelFact]
    public void Administrator_limits_are_kept_stale_endpoints_removed_and_cleanup_on_exit_restores_the_table()
    {
        using var lab = new MptcpLab();
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "5", "add_addr_accepted", "5");
        // A previous run's endpoints: one for a present address (adopted as is), one for a vanished address.
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.1.1", "id", "7", "subflow", "dev", "c1");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.9.9", "id", "2");
        var log = new ListLogger();
        PathManager pm = StartDaemon(lab, log, NotifyFlags.None, MptcpEndpointFlags.Subflow, removeOnExit: true);
        try
        {
            WaitForEndpoints(lab, "10.11.1.1 id 7 subflow dev c1", "stale endpoint removed, live one adopted");
            Assert.Equal("add_addr_accepted 5 subflows 5", lab.ClientLimits); // mptcpd 0.12: 2/2 (s12)
            lab.Client.Ip("addr", "add", "10.11.1.11/24", "dev", "c1");
            WaitForEndpoints(lab, "10.11.1.11 id 1 subflow dev c1\n10.11.1.1 id 7 subflow dev c1", "new address's endpoint");
            Assert.Equal("add_addr_accepted 5 subflows 5", lab.ClientLimits);
        }
        finally
        {
            pm.Dispose();
        }
        Assert.Equal("10.11.1.1 id 7 subflow dev c1", lab.ClientEndpoints); // only what it added is removed
        Assert.Equal("add_addr_accepted 5 subflows 5", lab.ClientLimits);
        Assert.Contains(log.Lines, l => l.Contains("MPTCP address advertiser path manager exited.", StringComparison.Ordinal));
    }

    [KernelFact]
    public void Ten_thousand_address_changes_end_with_exactly_the_desired_endpoints()
    {
        using var lab = new MptcpLab();
        var log = new ListLogger();
        // A tiny monitor buffer makes the burst overflow it (ENOBUFS), as it did mptcpd's (s08/s10).
        using PathManager pm = StartDaemon(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.Subflow, monitorBuffer: 4096);
        WaitForEndpoints(lab, S02Endpoints, "the initial endpoints");

        // 5003 additions, then 4997 deletions: 10,000 changes, 6 burst addresses survive.
        const int added = 5003;
        int[] keep = [17, 1000, 2500, 2501, 4000, 5002];
        static string Ip(int i) => $"10.30.{i / 250}.{(i % 250) + 1}";
        var batch = new List<string>();
        for (int i = 0; i < added; i++)
            batch.Add($"addr add {Ip(i)}/32 dev c1");
        for (int i = 0; i < added; i++)
        {
            if (!keep.Contains(i))
                batch.Add($"addr del {Ip(i)}/32 dev c1");
        }
        Assert.Equal(10_000, batch.Count);
        lab.Client.IpBatch(batch);

        // Desired: the 4 lab addresses (they appeared first), then the first 4 survivors in order of appearance.
        string expected = "10.11.1.1 id 1 subflow dev c1\n10.11.2.1 id 2 subflow dev c2\nfd11:1::1 id 3 subflow dev c1\nfd11:2::1 id 4 subflow dev c2";
        IEnumerable<string> firstFour = keep.Take(4).Select(Ip);
        TaskTimeouts.WaitUntil(() =>
        {
            string[] lines = lab.ClientEndpoints.Split('\n');
            return lines.Length == 8 && firstFour.All(a => lines.Any(l => l.StartsWith(a + " id ", StringComparison.Ordinal)));
        }, TimeSpan.FromSeconds(60), "the desired endpoint set after the burst");
        string[] final = lab.ClientEndpoints.Split('\n');
        Assert.Equal(expected.Split('\n'), final.Where(l => l.StartsWith("10.11.", StringComparison.Ordinal) || l.StartsWith("fd11", StringComparison.Ordinal)));
        Assert.Equal(firstFour.ToHashSet(), final.Where(l => l.StartsWith("10.30.", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToHashSet());
        Assert.All(final, l => Assert.Contains(" subflow dev c", l, StringComparison.Ordinal));
        Assert.Equal("add_addr_accepted 8 subflows 8", lab.ClientLimits);
        Assert.Equal(final.Length, final.Select(l => l.Split(' ')[2]).Distinct().Count());

        // Still alive and listening: a desired address goes, the fifth survivor is promoted.
        lab.Client.Ip("addr", "del", "10.11.2.1/24", "dev", "c2");
        TaskTimeouts.WaitUntil(() => lab.ClientEndpoints.Contains(Ip(keep[4]) + " id ", StringComparison.Ordinal)
            && !lab.ClientEndpoints.Contains("10.11.2.1 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "promotion after the burst");
        Assert.Equal(8, lab.ClientEndpoints.Split('\n').Length);
        Assert.True(pm.Monitor!.ResyncCount > 0, "the burst should have overflowed the 4 KiB monitor buffer");
        // The daemon's metrics report those recoveries, and the endpoint table as the kernel has it.
        using var metrics = new PathManagerMetrics(pm);
        MetricReadings m = MetricReadings.Collect(metrics.Meter);
        Assert.Equal(pm.Monitor.ResyncCount, m.Value("tributary.mptcp.monitor.resyncs"));
        Assert.Equal(8, m.Value("tributary.mptcp.endpoints", PathManagerMetrics.EndpointFlagsAttribute, "subflow"));
    }
}
