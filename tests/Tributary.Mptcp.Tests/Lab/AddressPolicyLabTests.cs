using System.Text.Json;
using Tributary.Links;
using Tributary.Mptcp.Daemon;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>
/// addr_adv with the address-selection policy in the two-path lab (USERS.md A): interface allow and
/// deny lists (mptcpd#292), per-interface flags for an LTE-like path (mptcpd#280), and ULA and
/// deprecated addresses kept out of the 8 endpoint slots (mptcpd#262, #281, #283). The endpoint table
/// is read with <c>ip -j mptcp endpoint show</c> in the client namespace.
/// </summary>
public class AddressPolicyLabTests
{
    /// <summary>
    /// Adds an LTE-like path to the client: veth wwan0 (10.11.3.1/24, 2001:db8:3::1/64) whose peer pp0
    /// (10.11.4.1/24) stays in the client namespace too.
    /// </summary>
    private static void AddWwan(MptcpLab lab)
    {
        lab.Client.Ip("link", "add", "wwan0", "type", "veth", "peer", "name", "pp0");
        lab.Client.Ip("addr", "add", "10.11.3.1/24", "dev", "wwan0");
        lab.Client.Ip("addr", "add", "2001:db8:3::1/64", "dev", "wwan0", "nodad");
        lab.Client.Ip("addr", "add", "10.11.4.1/24", "dev", "pp0");
        lab.Client.Ip("link", "set", "wwan0", "up");
        lab.Client.Ip("link", "set", "pp0", "up");
    }

    private static PathManager Start(MptcpLab lab, ListLogger log, NotifyFlags notify, MptcpEndpointFlags flags,
        string? interfaces = null, string? exclude = null, string? interfaceFlags = null) =>
        AddrAdvLabTests.StartDaemon(lab, log, notify, flags,
            interfaces: interfaces is null ? null : MptcpdInterfaceOptions.ParseInterfaceList(interfaces, out _),
            excludeInterfaces: exclude is null ? null : MptcpdInterfaceOptions.ParseInterfaceList(exclude, out _),
            interfaceFlags: interfaceFlags is null ? null : MptcpdInterfaceOptions.ParseInterfaceFlags(interfaceFlags, out _));

    /// <summary>The client's endpoints as sorted "address dev flag flag" lines, from <c>ip -j mptcp endpoint show</c>.</summary>
    private static List<string> Endpoints(MptcpLab lab)
    {
        using JsonDocument doc = JsonDocument.Parse(lab.Client.Ip("-j", "mptcp", "endpoint", "show") is { Length: > 0 } j ? j : "[]");
        var lines = new List<string>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            var flags = new[] { "signal", "subflow", "backup", "fullmesh", "laminar", "implicit" }
                .Where(f => e.TryGetProperty(f, out JsonElement v) && v.ValueKind == JsonValueKind.True);
            string dev = e.TryGetProperty("dev", out JsonElement d) ? d.GetString()! : "-";
            lines.Add($"{e.GetProperty("address").GetString()} {dev} {string.Join(' ', flags)}".TrimEnd());
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static void WaitForEndpoints(MptcpLab lab, List<string> expected, string what)
    {
        expected.Sort(StringComparer.Ordinal);
        try
        {
            TaskTimeouts.WaitUntil(() => Endpoints(lab).SequenceEqual(expected), TimeSpan.FromSeconds(10), what);
        }
        catch (TimeoutException)
        {
            Assert.Equal(expected, Endpoints(lab));
        }
        // And it stays so: nothing else arrives later.
        Thread.Sleep(300);
        Assert.Equal(expected, Endpoints(lab));
    }

    [KernelFact]
    public void Only_the_allowed_interfaces_addresses_become_endpoints()
    {
        using var lab = new MptcpLab();
        AddWwan(lab);
        // An endpoint someone left for an excluded interface: the daemon removes it at start.
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "subflow");
        var log = new ListLogger();
        using PathManager pm = Start(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, MptcpEndpointFlags.Subflow,
            interfaces: "c*,wwan*", exclude: "c2");
        Assert.True(pm.UsesInterface("c1") && pm.UsesInterface("wwan0"));
        Assert.False(pm.UsesInterface("c2") || pm.UsesInterface("pp0"));
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "fd11:1::1 c1 subflow", "10.11.3.1 wwan0 subflow", "2001:db8:3::1 wwan0 subflow"],
            "endpoints of c1 and wwan0 only");

        // Live: a new address on an excluded (c2) or unlisted (pp0) interface takes no endpoint; on c1 it does.
        lab.Client.Ip("addr", "add", "10.11.2.9/24", "dev", "c2");
        lab.Client.Ip("addr", "add", "10.11.4.9/24", "dev", "pp0");
        lab.Client.Ip("addr", "add", "10.11.1.9/24", "dev", "c1");
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "fd11:1::1 c1 subflow", "10.11.3.1 wwan0 subflow", "2001:db8:3::1 wwan0 subflow",
            "10.11.1.9 c1 subflow"], "the new c1 address only");
        Assert.Contains(log.Lines, l => l.Contains("10.11.2.9 on c2 ignored", StringComparison.Ordinal));
    }

    [KernelFact]
    public void The_LTE_like_interface_gets_backup_and_the_others_the_global_flags()
    {
        using var lab = new MptcpLab();
        AddWwan(lab);
        var log = new ListLogger();
        using PathManager pm = Start(lab, log, NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipUla, MptcpEndpointFlags.Subflow,
            exclude: "pp0", interfaceFlags: "wwan*:subflow+backup,eth9:signal");
        Assert.Equal(MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, pm.EndpointFlagsFor("wwan0"));
        Assert.Equal(MptcpEndpointFlags.Subflow, pm.EndpointFlagsFor("c1"));
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "10.11.2.1 c2 subflow", "10.11.3.1 wwan0 subflow backup", "2001:db8:3::1 wwan0 subflow backup"],
            "backup on wwan0 only");
        lab.Client.Ip("addr", "add", "10.11.3.7/24", "dev", "wwan0");
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "10.11.2.1 c2 subflow", "10.11.3.1 wwan0 subflow backup", "2001:db8:3::1 wwan0 subflow backup",
            "10.11.3.7 wwan0 subflow backup"], "a new wwan0 address is a backup endpoint too");
    }

    [KernelFact]
    public void Ula_and_deprecated_addresses_take_no_endpoint_slot_and_deprecation_removes_the_endpoint()
    {
        using var lab = new MptcpLab();
        // Ten ULA addresses on c1 before start: without skip_ula they alone would fill the 8 slots.
        for (int i = 1; i <= 10; i++)
            lab.Client.Ip("addr", "add", $"fd11:1::{i + 100:x}/64", "dev", "c1", "nodad");
        var log = new ListLogger();
        using PathManager pm = Start(lab, log,
            NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipUla | NotifyFlags.SkipDeprecated, MptcpEndpointFlags.Subflow);
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "10.11.2.1 c2 subflow"], "no ULA endpoint");

        lab.Client.Ip("addr", "add", "2001:db8:1::1/64", "dev", "c1", "nodad");
        lab.Client.Ip("addr", "add", "2001:db8:1::2/64", "dev", "c1", "nodad", "preferred_lft", "0");
        lab.Client.Ip("addr", "add", "fd11:2::99/64", "dev", "c2", "nodad");
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "10.11.2.1 c2 subflow", "2001:db8:1::1 c1 subflow"], "the global, preferred address only");

        // Deprecated later: its endpoint goes; renewed: it comes back.
        lab.Client.Ip("addr", "change", "2001:db8:1::1/64", "dev", "c1", "preferred_lft", "0");
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "10.11.2.1 c2 subflow"], "the deprecated address's endpoint removed");
        lab.Client.Ip("addr", "change", "2001:db8:1::2/64", "dev", "c1", "preferred_lft", "forever");
        lab.Client.Ip("addr", "change", "10.11.2.1/24", "dev", "c2", "preferred_lft", "0");
        WaitForEndpoints(lab, ["10.11.1.1 c1 subflow", "2001:db8:1::2 c1 subflow"], "renewed in, deprecated IPv4 out");
        Assert.Equal(0, Assert.IsType<AddrAdvPlugin>(pm.Plugins.Single()).Reconciler!.Failures);
    }
}
