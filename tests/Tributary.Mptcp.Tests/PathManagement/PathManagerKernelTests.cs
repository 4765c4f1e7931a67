using System.Net;
using Tributary.Links;
using Tributary.Mptcp.Tests.Plugins;

namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>mptcpd's test-path-manager and the network-monitor fan-out of test-plugin, against the real kernel in a fresh namespace.</summary>
public class PathManagerKernelTests
{
    private sealed class Recording(string name) : MptcpPlugin
    {
        public override string Name => name;

        public override bool Initialize(PathManager pathManager) => pathManager.RegisterOps(name, new RecordingOps(name));
    }

    private static TestNetworkNamespace NewNamespace()
    {
        var ns = TestNetworkNamespace.Create("mpm");
        ns.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
        return ns;
    }

    [KernelFact]
    public void Start_syncs_ids_loads_the_built_ins_and_becomes_ready()
    {
        using var ns = NewNamespace();
        ns.Ip("mptcp", "endpoint", "add", "192.0.2.5", "id", "9");
        var log = new ListLogger();
        using PathManager pm = PathManager.Create(new PathManagerOptions { NetworkNamespace = ns.Name, Logger = log, PluginDirectory = Lab.AddrAdvLabTests.EmptyPluginDirectory() });
        bool ready = false;
        pm.Ready += _ => ready = true;
        Assert.False(pm.IsReady);
        pm.Start();
        Assert.True(ready);
        Assert.True(pm.IsReady);
        Assert.Equal(["addr_adv", "sspi"], pm.Plugins.Select(p => p.Name));
        Assert.Equal("addr_adv", pm.DefaultPluginName); // equal priorities: load order
        Assert.Contains("Debug: ID sync: 9 | 192.0.2.5", log.Lines);
        // 192.0.2.5 is no local address: addr_adv removes the stale endpoint (mptcpd kept it, s01) and frees the id.
        TaskTimeouts.WaitUntil(() => ns.Ip("mptcp", "endpoint", "show").Trim().Length == 0, TimeSpan.FromSeconds(15), "stale endpoint removal");
        TaskTimeouts.WaitUntil(() => pm.Ids.FindId(IPAddress.Parse("192.0.2.5")) == 0, TimeSpan.FromSeconds(15), "id release");
        Assert.True(pm.RegisterOps("third", new RecordingOps("third")));
        Assert.False(pm.RegisterOps("third", new RecordingOps("third")));
        Assert.Throws<InvalidOperationException>(pm.Start);
    }

    [KernelFact]
    public void Network_monitor_events_reach_every_plugin_and_the_interface_snapshots()
    {
        using var ns = NewNamespace();
        string a = "nm_a_" + Guid.NewGuid().ToString("N")[..6], b = "nm_b_" + Guid.NewGuid().ToString("N")[..6];
        using PathManager pm = PathManager.Create(new PathManagerOptions
        {
            NetworkNamespace = ns.Name,
            NotifyFlags = NotifyFlags.SkipLinkLocal,
            BuiltInPlugins = [() => new Recording(a), () => new Recording(b)],
            PluginDirectory = Lab.AddrAdvLabTests.EmptyPluginDirectory(),
        });
        pm.Start();
        ns.Ip("link", "set", "v0", "up");
        ns.Ip("link", "set", "v1", "up");
        ns.Ip("addr", "add", "192.0.2.1/24", "dev", "v0");
        TaskTimeouts.WaitUntil(() => TestPluginRecorder.Count(b, "new_local_address") == 1, TimeSpan.FromSeconds(15), "new_local_address");
        Assert.Contains(pm.Interfaces, i => i.Name == "v0" && i.Addresses.Contains(IPAddress.Parse("192.0.2.1")));
        Assert.Equal(pm.Interfaces.Single(i => i.Name == "v0"), pm.FindInterface(new MptcpAddress(IPAddress.Parse("192.0.2.1"), 80)));
        ns.Ip("addr", "del", "192.0.2.1/24", "dev", "v0");
        ns.Ip("link", "set", "v0", "down");
        TaskTimeouts.WaitUntil(() => TestPluginRecorder.Count(b, "delete_interface") >= 1, TimeSpan.FromSeconds(15), "delete_interface");
        foreach (string p in new[] { a, b })
        {
            Assert.Equal(2, TestPluginRecorder.Count(p, "new_interface"));
            Assert.Equal(1, TestPluginRecorder.Count(p, "new_local_address"));
            Assert.Equal(1, TestPluginRecorder.Count(p, "delete_local_address"));
            Assert.True(TestPluginRecorder.Count(p, "delete_interface") >= 1);
        }
        Assert.DoesNotContain(pm.Interfaces, i => i.Name == "v0");
    }

    [KernelFact]
    public void Disabled_mptcp_is_a_start_up_error_with_mptcpd_messages()
    {
        using var ns = TestNetworkNamespace.Create("mpm");
        ns.Sysctl("net.mptcp.enabled", "0");
        var ex = Assert.Throws<PathManagerException>(() => PathManager.Create(new PathManagerOptions { NetworkNamespace = ns.Name }));
        Assert.Equal("MPTCP is not enabled in the kernel.\nTry 'sysctl -w net.mptcp.enabled=1'.\nRequired kernel MPTCP support not available.", ex.Message);
    }
}
