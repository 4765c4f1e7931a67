using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// One scenario under every one of the 16 notify-flag combinations, with the exact callback
/// sequence each must give: initial addresses, live addresses of each scope, removal, link flap.
/// </summary>
public class NotifyFlagMatrixTests
{
    public static TheoryData<int> AllCombinations()
    {
        var d = new TheoryData<int>();
        for (int f = 0; f < 16; f++)
            d.Add(f);
        return d;
    }

    [KernelTheory]
    [MemberData(nameof(AllCombinations))]
    public void The_scenario_gives_the_exact_sequence(int flagBits)
    {
        var flags = (NotifyFlags)flagBits;
        bool existing = (flags & NotifyFlags.Existing) != 0;
        bool skipLl = (flags & NotifyFlags.SkipLinkLocal) != 0;
        bool skipHost = (flags & NotifyFlags.SkipLoopback) != 0;
        bool checkRoute = (flags & NotifyFlags.CheckRoute) != 0;

        using var lab = new LinkLab();
        lab.Bridge("br0");
        lab.Ip("addr", "add", "10.9.0.1/24", "dev", "br0");
        lab.Ip("addr", "add", "fd09::1/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "fe80::9/64", "dev", "br0", "nodad");
        lab.Ip("route", "add", "default", "via", "10.9.0.254", "dev", "br0");
        lab.Ip("-6", "route", "add", "default", "via", "fd09::fe", "dev", "br0");
        using NetworkMonitor m = lab.Monitor(flags);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.Start();

        var expected = new List<string>();
        if (existing)
        {
            expected.Add("new_address br0 10.9.0.1");
            expected.Add("new_address br0 fd09::1");
            if (!skipLl)
                expected.Add("new_address br0 fe80::9");
        }
        Assert.Equal(expected, ops.WaitFor(expected.Count));

        // Live addresses of each scope; the default routes through br0 make every route check pass.
        lab.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        lab.Ip("addr", "add", "10.8.8.8/32", "dev", "br0", "scope", "host");
        lab.Ip("addr", "add", "fe80::5/64", "dev", "br0", "nodad");
        lab.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        expected.Add("new_address br0 10.0.0.1");
        if (!skipHost)
            expected.Add("new_address br0 10.8.8.8");
        if (!skipLl)
            expected.Add("new_address br0 fe80::5");
        expected.Add("new_address br0 fd00::1");
        Assert.Equal(expected, ops.WaitFor(expected.Count));

        lab.Ip("addr", "del", "10.0.0.1/24", "dev", "br0");
        expected.Add("delete_address br0 10.0.0.1");
        Assert.Equal(expected, ops.WaitFor(expected.Count));

        // Flap: the kernel drops the static IPv6 addresses and the routes through br0 and keeps
        // IPv4; the link comes back with its IPv4 addresses reported (host scope listed first),
        // except under CheckRoute, where no default route goes through br0 any more.
        lab.Ip("link", "set", "br0", "down");
        expected.Add("delete_interface br0");
        Assert.Equal(expected, ops.WaitFor(expected.Count));
        lab.Ip("link", "set", "br0", "up");
        expected.Add("new_interface br0");
        if (!checkRoute)
        {
            if (!skipHost)
                expected.Add("new_address br0 10.8.8.8");
            expected.Add("new_address br0 10.9.0.1");
        }
        Assert.True(m.WaitForRouteChecks(TimeSpan.FromSeconds(5)));
        Assert.Equal(expected, ops.WaitFor(expected.Count));
    }
}
