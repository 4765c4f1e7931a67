using System.Net;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>mptcpd's own tests/test-network-monitor.c re-expressed (reference/mptcpd/peer-tests.md).</summary>
public class PeerNetworkMonitorTests
{
    private sealed class InterfaceOnlyOps : INetworkMonitorOps
    {
        public int Calls;

        public void NewInterface(InterfaceInfo info, object? userData) => Calls++;
    }

    private sealed class AddressOnlyOps : INetworkMonitorOps
    {
        public int Calls;

        public void NewAddress(InterfaceInfo info, IPAddress address, object? userData) => Calls++;
    }

    [KernelFact]
    public void Create_register_ops_and_foreach_interface_as_mptcpds_test()
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");                                   // an interface with no addresses is allowed
        lab.Bridge("br1");
        lab.Ip("addr", "add", "192.0.2.1/24", "dev", "br1");
        using NetworkMonitor nm = NetworkMonitor.Create(0, new NetworkMonitorOptions { NetworkNamespace = lab.Ns.Name });
        Assert.True(nm.MonitorLoopback(true));

        // Full, interface-only and address-only op sets; "all NULL" has no C# equivalent beyond null.
        var full = new RecordingOps("full");
        var ifOnly = new InterfaceOnlyOps();
        var addrOnly = new AddressOnlyOps();
        nm.RegisterOps(full, "full");
        nm.RegisterOps(ifOnly, "if");
        nm.RegisterOps(addrOnly, "addr");
        Assert.Throws<ArgumentNullException>(() => nm.RegisterOps(null!));
        nm.Start();

        var seen = new List<InterfaceInfo>();
        object data = new();
        nm.ForEachInterface((i, d) =>
        {
            Assert.Same(data, d);
            Assert.Equal(InterfaceFlags.Up | InterfaceFlags.Running, i.Flags & (InterfaceFlags.Up | InterfaceFlags.Running));
            seen.Add(i);
        }, data);
        Assert.Equal(["lo", "br0", "br1"], seen.Select(i => i.Name));         // ifindex order
        Assert.Equal([1, 2, 3], seen.Select(i => i.Index));
        Assert.Equal(772, seen[0].Type);                                       // ARPHRD_LOOPBACK
        Assert.Equal(1, seen[1].Type);                                         // ARPHRD_ETHER
        Assert.Equal(0, seen[1].Family);
        Assert.Empty(seen[1].Addresses);
        Assert.Equal([IPAddress.Parse("192.0.2.1")], seen[2].Addresses);

        lab.Bridge("br2");
        lab.Ip("addr", "add", "192.0.2.9/24", "dev", "br2");
        TaskTimeouts.WaitUntil(() => ifOnly.Calls == 1 && addrOnly.Calls == 1, what: "callbacks on both partial op sets");
        Assert.Equal(["new_interface br2", "new_address br2 192.0.2.9"], full.WaitFor(2));
        Assert.Equal(0, full.WrongUserData);
    }

    [Fact]
    public void Misuse_is_an_exception()
    {
        using NetworkMonitor nm = NetworkMonitor.Create(NotifyFlags.None);
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkMonitor.Create((NotifyFlags)0x100)); // the first bit no flag uses
        Assert.Throws<ArgumentNullException>(() => nm.ForEachInterface(null!));
        nm.Start();
        Assert.Throws<InvalidOperationException>(nm.Start);
        nm.Dispose();
        nm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => nm.RegisterOps(new RecordingOps()));
    }
}
