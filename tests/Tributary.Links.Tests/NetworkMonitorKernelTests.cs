using System.Net;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// Exact callback sequences against the real kernel, each test in a fresh namespace, driving real
/// changes with ip (reference/mptcpd/INVENTORY.md a.2–a.5, ORACLE.md s01, s03, s04).
/// </summary>
public class NetworkMonitorKernelTests
{
    /// <summary>br0 up with IPv4 global, IPv4 scope host, IPv6 global and IPv6 link-local; br1 down with an address.</summary>
    private static void Populate(LinkLab lab)
    {
        lab.Bridge("br0");
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        lab.Ip("addr", "add", "10.9.9.9/32", "dev", "br0", "scope", "host");
        lab.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "fe80::1/64", "dev", "br0", "nodad");
        lab.Bridge("br1", up: false);
        lab.Ip("addr", "add", "10.1.0.1/24", "dev", "br1");
    }

    private static List<string> Tracked(NetworkMonitor m)
    {
        var lines = new List<string>();
        m.ForEachInterface((i, d) =>
        {
            Assert.Equal("data", d);
            lines.Add($"{i.Name} {string.Join(' ', i.Addresses)}");
        }, "data");
        return lines;
    }

    [KernelFact]
    public void Without_Existing_the_initial_state_is_stored_silently()
    {
        using var lab = new LinkLab();
        Populate(lab);
        using NetworkMonitor m = lab.Monitor(NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        Assert.Empty(ops.Quiet());
        // Links, then addresses in the kernel's dump order (IPv4 before IPv6; the kernel keeps an
        // interface's IPv4 list sorted by scope, host before universe); br1 (down) and lo are not tracked.
        Assert.Equal(["br0 10.9.9.9 10.0.0.1 fd00::1 fe80::1"], Tracked(m));
    }

    [KernelTheory]
    [InlineData(NotifyFlags.Existing, "10.9.9.9 10.0.0.1 fd00::1 fe80::1")]
    [InlineData(NotifyFlags.Existing | NotifyFlags.SkipLinkLocal, "10.9.9.9 10.0.0.1 fd00::1")]
    [InlineData(NotifyFlags.Existing | NotifyFlags.SkipLoopback, "10.0.0.1 fd00::1 fe80::1")]
    [InlineData(NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback, "10.0.0.1 fd00::1")]
    [InlineData(NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback, "")]
    public void Existing_reports_initial_addresses_in_dump_order_after_the_skip_flags(NotifyFlags flags, string reported)
    {
        using var lab = new LinkLab();
        Populate(lab);
        using NetworkMonitor m = lab.Monitor(flags);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        string[] expected = reported.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        List<string> lines = ops.WaitFor(expected.Length);
        Assert.Equal(expected.Select(a => $"new_address br0 {a}"), lines);
        // Skipped addresses are not stored either, with or without Existing.
        string stored = (flags & NotifyFlags.Existing) != 0 ? reported
            : "10.0.0.1 fd00::1";
        Assert.Equal([$"br0 {stored}".TrimEnd()], Tracked(m));
    }

    [KernelFact]
    public void Live_changes_give_mptcpds_callbacks_and_a_flapped_link_gets_its_addresses_back()
    {
        using var lab = new LinkLab();
        using NetworkMonitor m = lab.Monitor(NotifyFlags.None);
        var ops = new RecordingOps("ud");
        m.RegisterOps(ops, "ud");
        m.Start();

        lab.Bridge("br0", up: false);
        Assert.Empty(ops.Quiet()); // a link that is down is not tracked
        lab.Ip("link", "set", "br0", "up");
        Assert.Equal(["new_interface br0"], ops.WaitFor(1));
        ops.Clear();

        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        lab.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        lab.Ip("addr", "replace", "10.0.0.1/24", "dev", "br0", "valid_lft", "3000", "preferred_lft", "2000"); // repeated NEWADDR: no-op
        lab.Ip("addr", "add", "10.0.1.2/24", "dev", "br0");
        lab.Ip("addr", "del", "10.0.0.1/24", "dev", "br0");
        Assert.Equal(
            ["new_address br0 10.0.0.1", "new_address br0 fd00::1", "new_address br0 10.0.1.2", "delete_address br0 10.0.0.1"],
            ops.WaitFor(4));
        ops.Clear();

        lab.Ip("link", "set", "br0", "mtu", "1400");
        Assert.Equal(["update_interface br0"], ops.WaitFor(1));
        ops.Clear();

        // Down: one delete_interface, no delete_address (mptcpd a.4); the kernel then drops the
        // static IPv6 address, which is not reported since the link is no longer tracked.
        lab.Ip("link", "set", "br0", "down");
        Assert.Equal(["delete_interface br0"], ops.WaitFor(1));
        ops.Clear();
        // Up: the IPv4 address the kernel kept is reported again (mptcpd forgets it, s03).
        lab.Ip("link", "set", "br0", "up");
        Assert.Equal(["new_interface br0", "new_address br0 10.0.1.2"], ops.WaitFor(2));
        Assert.Equal(["br0 10.0.1.2"], Tracked(m));
        ops.Clear();

        lab.Ip("link", "del", "br0");
        Assert.Equal(["delete_interface br0"], ops.WaitFor(1));
        Assert.Empty(Tracked(m));
        Assert.Equal(0, ops.WrongUserData);
    }

    [KernelFact]
    public void A_veth_is_tracked_only_once_both_ends_are_up()
    {
        using var lab = new LinkLab();
        using NetworkMonitor m = lab.Monitor(NotifyFlags.None);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        lab.Ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
        lab.Ip("link", "set", "va", "up");
        Assert.Empty(ops.Quiet()); // UP but not RUNNING: no carrier until the peer is up
        lab.Ip("link", "set", "vb", "up");
        List<string> lines = ops.WaitFor(2);
        Assert.Equal(["new_interface va", "new_interface vb"], lines.Where(l => l.StartsWith("new_interface", StringComparison.Ordinal)).Order());
        Assert.All(lines, l => Assert.Matches("^(new|update)_interface v[ab]$", l));
    }

    [KernelFact]
    public void Loopback_is_tracked_only_when_monitored()
    {
        using var lab = new LinkLab();
        using NetworkMonitor plain = lab.Monitor(NotifyFlags.None);
        plain.Start();
        Assert.Empty(Tracked(plain));

        using NetworkMonitor m = lab.Monitor(NotifyFlags.Existing);
        Assert.True(m.MonitorLoopback(true));
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        Assert.Equal(["new_address lo 127.0.0.1", "new_address lo ::1"], ops.WaitFor(2));
        Assert.Equal(["lo 127.0.0.1 ::1"], Tracked(m));
    }

    [KernelFact]
    public void Several_subscribers_each_get_their_user_data_and_a_failing_one_does_not_stop_the_others()
    {
        using var lab = new LinkLab();
        using NetworkMonitor m = lab.Monitor(NotifyFlags.None);
        var a = new RecordingOps("a");
        var b = new RecordingOps("b");
        var throwing = new ThrowingOps();
        m.RegisterOps(a, "a");
        m.RegisterOps(throwing);
        IDisposable regB = m.RegisterOps(b, "b");
        m.Start();
        lab.Bridge("br0");
        Assert.Equal(["new_interface br0"], a.WaitFor(1));
        Assert.Equal(["new_interface br0"], b.WaitFor(1));
        regB.Dispose();
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        Assert.Equal(["new_interface br0", "new_address br0 10.0.0.1"], a.WaitFor(2));
        Assert.Equal(["new_interface br0"], b.Quiet());
        Assert.Equal(0, a.WrongUserData + b.WrongUserData);
        Assert.True(throwing.Calls >= 2);
    }

    private sealed class ThrowingOps : INetworkMonitorOps
    {
        public int Calls;

        public void NewInterface(InterfaceInfo info, object? userData) => Throw();

        public void NewAddress(InterfaceInfo info, IPAddress address, object? userData) => Throw();

        private void Throw()
        {
            Interlocked.Increment(ref Calls);
            throw new InvalidOperationException("subscriber bug");
        }
    }

    [KernelFact]
    public async Task ReadEventsAsync_yields_typed_events_including_the_initial_report()
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        using NetworkMonitor m = lab.Monitor(NotifyFlags.Existing);
        using var cts = new CancellationTokenSource(TaskTimeouts.Default);
        IAsyncEnumerator<NetworkMonitorEvent> e = m.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        m.Start();
        Assert.True(await e.MoveNextAsync().AsTask().WithTimeout());
        var first = Assert.IsType<AddressAdded>(e.Current);
        Assert.Equal(("br0", IPAddress.Parse("10.0.0.1"), "new_address"), (first.Name, first.Address, first.EventName));
        lab.Ip("link", "del", "br0");
        Assert.True(await e.MoveNextAsync().AsTask().WithTimeout());
        var gone = Assert.IsType<InterfaceRemoved>(e.Current);
        Assert.Equal("br0", gone.Name);
        Assert.True((gone.Flags & InterfaceFlags.Up) != 0);
        await e.DisposeAsync();
    }

    [KernelFact]
    public void Check_route_reports_only_addresses_behind_a_default_route_and_never_rechecks()
    {
        using var lab = new LinkLab();
        lab.Bridge("br0");
        lab.Bridge("br1");
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        lab.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        lab.Ip("route", "add", "default", "via", "10.0.0.254", "dev", "br0");
        lab.Ip("-6", "route", "add", "default", "via", "fd00::fe", "dev", "br0");
        lab.Ip("addr", "add", "10.1.0.1/24", "dev", "br1");
        var log = new ListLogger();
        using NetworkMonitor m = lab.Monitor(NotifyFlags.Existing | NotifyFlags.CheckRoute, logger: log);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();
        Assert.True(m.WaitForRouteChecks(TimeSpan.FromSeconds(5)));
        Assert.Equal(["new_address br0 10.0.0.1", "new_address br0 fd00::1"], ops.WaitFor(2));
        // 10.1.0.1 on br1 has no default route: 1 lookup + 4 retries, all failing, then silence (s05).
        Assert.Equal(5, log.Lines.Count(l => l.Contains("can't resolved default route from 10.1.0.1 interface", StringComparison.Ordinal)));

        // A default route through br1 added later does not bring 10.1.0.1 back, but a new address is checked afresh.
        lab.Ip("route", "add", "default", "via", "10.1.0.254", "dev", "br1", "metric", "200");
        lab.Ip("addr", "add", "10.1.1.2/24", "dev", "br1");
        Assert.Equal(["new_address br0 10.0.0.1", "new_address br0 fd00::1", "new_address br1 10.1.1.2"], ops.WaitFor(3));
        // The withheld address is not part of what was reported, so removing it reports nothing.
        lab.Ip("addr", "del", "10.1.0.1/24", "dev", "br1");
        Assert.Equal(3, ops.Quiet().Count);
    }
}
