using System.Net;
using System.Text.Json;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// The address-selection skip flags against the real kernel (reference/mptcpd/USERS.md A): ULA,
/// deprecated, tentative and temporary addresses, each with and without its flag, including the
/// addresses whose flags change in place (DAD completing, the preferred lifetime ending or renewed).
/// </summary>
public class AddressPolicyKernelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static List<string> Tracked(NetworkMonitor m)
    {
        var lines = new List<string>();
        m.ForEachInterface((i, _) => lines.Add($"{i.Name} {string.Join(' ', i.Addresses)}".TrimEnd()));
        return lines;
    }

    /// <summary>The flags the monitor stores for a tracked address (<see cref="InterfaceInfo.TryGetAddressFlags"/>).</summary>
    private static AddressFlags StoredFlags(NetworkMonitor m, string name, string address)
    {
        AddressFlags? found = null;
        m.ForEachInterface((i, _) =>
        {
            if (i.Name == name && i.TryGetAddressFlags(IPAddress.Parse(address), out AddressFlags f))
                found = f;
        });
        return found ?? throw new InvalidOperationException($"{address} is not tracked on {name}");
    }

    /// <summary>A veth pair va/vb, both up, so that IPv6 duplicate address detection really runs on va.</summary>
    private static void VethPair(LinkLab lab)
    {
        lab.Ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
        lab.Ip("link", "set", "va", "up");
        lab.Ip("link", "set", "vb", "up");
        TaskTimeouts.WaitUntil(() => lab.Ip("-j", "link", "show", "va").Contains("\"operstate\":\"UP\"", StringComparison.Ordinal),
            what: "va running");
    }

    /// <summary>The keys iproute2 prints for one address (<c>"tentative": true</c> and so on), or null when absent.</summary>
    private static JsonElement? AddrInfo(LinkLab lab, string dev, string address)
    {
        using JsonDocument doc = JsonDocument.Parse(lab.Ip("-j", "addr", "show", "dev", dev));
        foreach (JsonElement a in doc.RootElement[0].GetProperty("addr_info").EnumerateArray())
        {
            if (a.GetProperty("local").GetString() == address)
                return a.Clone();
        }
        return null;
    }

    private static bool Has(JsonElement? addr, string key) =>
        addr is { } a && a.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    [KernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unique_local_addresses_are_skipped_only_with_SkipUla(bool skipUla)
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");
        lab.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "2001:db8::1/64", "dev", "br0", "nodad");
        NotifyFlags flags = NotifyFlags.Existing | (skipUla ? NotifyFlags.SkipUla : NotifyFlags.None);
        using NetworkMonitor m = lab.Monitor(flags);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        // (The initial dump lists IPv6 addresses newest first.) fc00::/7 is both fc00::/8 and fd00::/8; fbff:: and fe00:: (just outside) are not ULA.
        lab.Ip("addr", "add", "fc00::2/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "fdff:ffff::3/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "fbff::4/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        lab.Ip("addr", "del", "fd00::1/64", "dev", "br0");

        List<string> expected = skipUla
            ? ["new_address br0 2001:db8::1", "new_address br0 fbff::4", "new_address br0 10.0.0.1"]
            : ["new_address br0 2001:db8::1", "new_address br0 fd00::1", "new_address br0 fc00::2", "new_address br0 fdff:ffff::3",
                "new_address br0 fbff::4", "new_address br0 10.0.0.1", "delete_address br0 fd00::1"];
        Assert.Equal(expected, ops.WaitFor(expected.Count));
        Assert.Equal([skipUla ? "br0 2001:db8::1 fbff::4 10.0.0.1" : "br0 2001:db8::1 fc00::2 fdff:ffff::3 fbff::4 10.0.0.1"], Tracked(m));
    }

    [KernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deprecated_addresses_leave_and_come_back_with_SkipDeprecated(bool skipDeprecated)
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");
        using NetworkMonitor m = lab.Monitor(skipDeprecated ? NotifyFlags.SkipDeprecated : NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();

        // Added deprecated (preferred lifetime 0), IPv6 and IPv4.
        lab.Ip("addr", "add", "2001:db8::1/64", "dev", "br0", "nodad", "preferred_lft", "0");
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0", "preferred_lft", "0");
        Assert.True(Has(AddrInfo(lab, "br0", "2001:db8::1"), "deprecated"), "the kernel marks an address with preferred_lft 0 deprecated");
        Assert.True(Has(AddrInfo(lab, "br0", "10.0.0.1"), "deprecated"), "the kernel marks an address with preferred_lft 0 deprecated");
        if (skipDeprecated)
        {
            Assert.Empty(ops.Quiet());
        }
        else
        {
            Assert.Equal(["new_address br0 2001:db8::1", "new_address br0 10.0.0.1"], ops.WaitFor(2));
            Assert.Equal(AddressFlags.Deprecated, ops.FlagsOf("new_address br0 2001:db8::1") & AddressFlags.Deprecated);
            ops.Clear();
        }

        // Renewed: usable again, so new under the policy (and nothing new without it).
        lab.Ip("addr", "change", "2001:db8::1/64", "dev", "br0", "preferred_lft", "forever");
        lab.Ip("addr", "change", "10.0.0.1/24", "dev", "br0", "preferred_lft", "forever");
        if (skipDeprecated)
        {
            Assert.Equal(["new_address br0 2001:db8::1", "new_address br0 10.0.0.1"], ops.WaitFor(2));
            Assert.Equal(AddressFlags.None, ops.FlagsOf("new_address br0 2001:db8::1") & AddressFlags.Deprecated);
        }
        else
        {
            Assert.Empty(ops.Quiet());
        }
        ops.Clear();
        Assert.Equal(["br0 2001:db8::1 10.0.0.1"], Tracked(m));

        // A reported address that becomes deprecated is deleted under the policy.
        lab.Ip("addr", "change", "2001:db8::1/64", "dev", "br0", "preferred_lft", "0");
        if (skipDeprecated)
        {
            Assert.Equal(["delete_address br0 2001:db8::1"], ops.WaitFor(1));
            Assert.Equal(AddressFlags.Deprecated, ops.FlagsOf("delete_address br0 2001:db8::1") & AddressFlags.Deprecated);
            Assert.Equal(["br0 10.0.0.1"], Tracked(m));
        }
        else
        {
            Assert.Empty(ops.Quiet());
            Assert.True(StoredFlags(m, "br0", "2001:db8::1").HasFlag(AddressFlags.Deprecated), "the stored flags follow the kernel");
        }
        ops.Clear();

        // Deleting a skipped (deprecated) address reports nothing; deleting a tracked one does.
        lab.Ip("addr", "del", "2001:db8::1/64", "dev", "br0");
        lab.Ip("addr", "del", "10.0.0.1/24", "dev", "br0");
        Assert.Equal(skipDeprecated ? ["delete_address br0 10.0.0.1"] : ["delete_address br0 2001:db8::1", "delete_address br0 10.0.0.1"],
            ops.WaitFor(skipDeprecated ? 1 : 2));
    }

    [KernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_tentative_address_is_reported_only_after_DAD_with_SkipTentative(bool skipTentative)
    {
        using var lab = new LinkLab();
        VethPair(lab);
        // One probe a second apart: DAD takes about 1 s, long enough to see the tentative phase.
        lab.Ns.Sysctl("net.ipv6.conf.va.dad_transmits", "1");
        lab.Ns.Sysctl("net.ipv6.conf.va.accept_dad", "1");
        lab.Ns.Sysctl("net.ipv6.neigh.va.retrans_time_ms", "1500");
        using NetworkMonitor m = lab.Monitor(skipTentative ? NotifyFlags.SkipTentative : NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();

        lab.Ip("addr", "add", "2001:db8:5::1/64", "dev", "va");
        Assert.True(Has(AddrInfo(lab, "va", "2001:db8:5::1"), "tentative"), "the kernel runs DAD for an address added without nodad");
        if (skipTentative)
        {
            Assert.Empty(ops.Quiet(TimeSpan.FromMilliseconds(300)));
            Assert.Equal(["new_address va 2001:db8:5::1"], ops.WaitFor(1));
            Assert.False(Has(AddrInfo(lab, "va", "2001:db8:5::1"), "tentative"), "reported only once DAD completed");
            Assert.Equal(AddressFlags.None, ops.FlagsOf("new_address va 2001:db8:5::1") & AddressFlags.Tentative);
        }
        else
        {
            Assert.Equal(["new_address va 2001:db8:5::1"], ops.WaitFor(1, TimeSpan.FromMilliseconds(50)));
            Assert.Equal(AddressFlags.Tentative, ops.FlagsOf("new_address va 2001:db8:5::1") & AddressFlags.Tentative);
            // DAD completing is a repeated RTM_NEWADDR: nothing new, but the stored flags follow.
            TaskTimeouts.WaitUntil(() => !Has(AddrInfo(lab, "va", "2001:db8:5::1"), "tentative"), what: "DAD done");
            Assert.Equal(["new_address va 2001:db8:5::1"], ops.Quiet());
            Assert.False(StoredFlags(m, "va", "2001:db8:5::1").HasFlag(AddressFlags.Tentative));
        }
        ops.Clear();

        // DAD that fails (vb already holds the address) leaves it tentative and dadfailed: never usable.
        lab.Ip("addr", "add", "2001:db8:6::1/64", "dev", "vb", "nodad");
        lab.Ip("addr", "add", "2001:db8:6::1/64", "dev", "va");
        TaskTimeouts.WaitUntil(() => Has(AddrInfo(lab, "va", "2001:db8:6::1"), "dadfailed"), what: "DAD failure");
        List<string> lines = ops.Quiet();
        Assert.Contains("new_address vb 2001:db8:6::1", lines);
        if (skipTentative)
            Assert.DoesNotContain("new_address va 2001:db8:6::1", lines);
        else
            Assert.Contains("new_address va 2001:db8:6::1", lines);
    }

    [KernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temporary_addresses_are_skipped_with_SkipTemporary(bool skipTemporary)
    {
        using var lab = new LinkLab();
        VethPair(lab);
        lab.Ns.Sysctl("net.ipv6.conf.va.use_tempaddr", "2");
        using NetworkMonitor m = lab.Monitor(skipTemporary ? NotifyFlags.SkipTemporary : NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();

        // A manually added address with mngtmpaddr makes the kernel derive a temporary one from its /64.
        lab.Ip("addr", "add", "2001:db8:7::1/64", "dev", "va", "mngtmpaddr", "nodad");
        string? temporary = null;
        TaskTimeouts.WaitUntil(() =>
        {
            using JsonDocument doc = JsonDocument.Parse(lab.Ip("-j", "-6", "addr", "show", "dev", "va"));
            temporary = doc.RootElement[0].GetProperty("addr_info").EnumerateArray()
                .Where(a => a.TryGetProperty("temporary", out JsonElement t) && t.ValueKind == JsonValueKind.True)
                .Select(a => a.GetProperty("local").GetString()).FirstOrDefault();
            return temporary is not null;
        }, what: "the kernel's temporary address");
        output.WriteLine($"temporary address: {temporary}");
        Assert.StartsWith("2001:db8:7:0:", temporary!, StringComparison.Ordinal);
        // Let its DAD finish too (another RTM_NEWADDR for it).
        TaskTimeouts.WaitUntil(() => !Has(AddrInfo(lab, "va", temporary!), "tentative"), what: "DAD of the temporary address");

        List<string> lines = ops.Quiet();
        if (skipTemporary)
        {
            Assert.Equal(["new_address va 2001:db8:7::1"], lines);
            Assert.Contains("va 2001:db8:7::1", Tracked(m));
        }
        else
        {
            Assert.Equal(2, lines.Count);
            Assert.Contains("new_address va 2001:db8:7::1", lines);
            string line = $"new_address va {IPAddress.Parse(temporary!)}";
            Assert.Contains(line, lines);
            Assert.Equal(AddressFlags.Temporary, ops.FlagsOf(line) & AddressFlags.Temporary);
        }
    }

    [KernelFact]
    public void SkipLinkLocal_covers_IPv4_169_254_even_with_global_scope()
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");
        using NetworkMonitor m = lab.Monitor(NotifyFlags.SkipLinkLocal);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        lab.Ip("addr", "add", "169.254.7.7/16", "dev", "br0");
        lab.Ip("addr", "add", "169.255.0.1/16", "dev", "br0");
        Assert.Equal("global", AddrInfo(lab, "br0", "169.254.7.7")!.Value.GetProperty("scope").GetString());
        Assert.Equal(["new_address br0 169.255.0.1"], ops.WaitFor(1));
    }
}
