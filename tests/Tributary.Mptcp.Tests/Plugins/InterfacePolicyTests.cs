using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Mptcp.Internal;

namespace Tributary.Mptcp.Tests.Plugins;

/// <summary>Interface name globs, and addr_adv's reconciliation with per-interface endpoint flags.</summary>
public class InterfacePolicyTests
{
    [Theory]
    [InlineData("eth0", "eth0", true)]
    [InlineData("eth0", "eth01", false)]
    [InlineData("eth0", "Eth0", false)]
    [InlineData("wwan*", "wwan0", true)]
    [InlineData("wwan*", "wwan", true)]
    [InlineData("wwan*", "wlan0", false)]
    [InlineData("*", "anything", true)]
    [InlineData("*0", "eth0", true)]
    [InlineData("*0", "eth1", false)]
    [InlineData("e*h*1", "eth1", true)]
    [InlineData("e*h*1", "ethh11", true)]
    [InlineData("e*h*1", "eth12", false)]
    [InlineData("veth?", "veth7", true)]
    [InlineData("veth?", "veth", false)]
    [InlineData("veth?", "veth77", false)]
    [InlineData("a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaab", true)]
    [InlineData("a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void Globs_match_whole_names(string pattern, string name, bool matches) =>
        Assert.Equal(matches, InterfacePattern.Parse(pattern).Matches(name));

    [Theory]
    [InlineData("")]
    [InlineData("eth 0")]
    [InlineData("a/b")]
    [InlineData("eth0:1")]
    [InlineData("eth\t0")]
    public void Names_the_kernel_refuses_are_not_patterns(string text)
    {
        Assert.Null(InterfacePattern.TryParse(text, out string? error));
        Assert.NotNull(error);
        Assert.Throws<ArgumentException>(() => InterfacePattern.Parse(text));
    }

    [Fact]
    public void Per_interface_flags_replace_the_global_ones_and_a_change_of_interface_flags_is_reconciled()
    {
        var t = new FakeEndpointTable();
        var r = new EndpointReconciler(t, new MptcpIdManager(), MptcpEndpointFlags.Signal, NullLogger.Instance);
        r.Start(new Dictionary<MptcpAddress, int>(), startWorker: false);
        r.AddressAppeared(2, IPAddress.Parse("10.0.0.1"));                                                   // global flags
        r.AddressAppeared(3, IPAddress.Parse("10.0.1.1"), MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup); // LTE
        Assert.True(r.ReconcileOnce());
        Assert.Equal(MptcpEndpointFlags.Signal, t.Endpoints[1].Flags);
        Assert.Equal(MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, t.Endpoints[2].Flags);
        // add_addr_accepted follows any endpoint's subflow flag, not only the global addr-flags.
        Assert.Equal(new MptcpLimits(4, 4), t.Limits);

        // The address moves to an interface with other flags: its endpoint is replaced.
        r.AddressAppeared(4, IPAddress.Parse("10.0.1.1"), MptcpEndpointFlags.Signal);
        Assert.True(r.ReconcileOnce());
        Assert.Equal(MptcpEndpointFlags.Signal, t.Endpoints[2].Flags);
        Assert.Equal(4, t.Endpoints[2].InterfaceIndex);
        Assert.Equal(new MptcpLimits(4, 0), t.Limits); // no subflow endpoint left: none accepted beyond the administrator's 0
    }

    [Fact]
    public void Endpoints_found_at_start_are_adopted_only_with_their_interfaces_flags()
    {
        var t = new FakeEndpointTable();
        t.Endpoints[1] = new MptcpEndpoint(1, IPAddress.Parse("10.0.0.1"), MptcpEndpointFlags.Subflow, 2);
        t.Endpoints[2] = new MptcpEndpoint(2, IPAddress.Parse("10.0.1.1"), MptcpEndpointFlags.Subflow, 3);
        var r = new EndpointReconciler(t, new MptcpIdManager(), MptcpEndpointFlags.Subflow, NullLogger.Instance);
        var present = new Dictionary<MptcpAddress, int>
        {
            [new MptcpAddress(IPAddress.Parse("10.0.0.1"))] = 2,
            [new MptcpAddress(IPAddress.Parse("10.0.1.1"))] = 3,
        };
        r.Start(present, startWorker: false, interfaceFlags: new Dictionary<int, MptcpEndpointFlags> { [3] = MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup });
        int adds = t.Adds;
        Assert.True(r.ReconcileOnce());
        Assert.Equal(MptcpEndpointFlags.Subflow, t.Endpoints[1].Flags);
        Assert.Equal(MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, t.Endpoints[2].Flags);
        Assert.Equal(adds + 1, t.Adds); // only the one whose flags differ was replaced
    }
}
