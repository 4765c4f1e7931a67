namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>
/// mptcpd waits for the mptcp_pm family when it is absent at start (INVENTORY b.1 step 2). MPTCP is
/// built into this kernel, so the family cannot be made to disappear: the wait is tested with a
/// family name the kernel does not have, and the present family must not be waited for.
/// </summary>
public class FamilyWaitTests
{
    [KernelFact]
    public void The_present_family_is_not_waited_for()
    {
        using var ns = TestNetworkNamespace.Create("mpf");
        var log = new ListLogger();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(MptcpPmClient.WaitForFamily(ns.Name, TimeSpan.Zero, log, cts.Token));
        Assert.Empty(log.Lines);
        using PathManager? pm = PathManager.Create(new PathManagerOptions { NetworkNamespace = ns.Name }, TimeSpan.FromSeconds(10), cts.Token);
        Assert.NotNull(pm);
    }

    [Fact]
    public void An_absent_family_is_waited_for_with_mptcpds_warnings_once_until_cancelled()
    {
        var log = new ListLogger();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(900));
        long t0 = Environment.TickCount64;
        Assert.False(MptcpPmClient.WaitForFamily("trib_nofamily", null, TimeSpan.FromMilliseconds(200), log, cts.Token));
        Assert.InRange(Environment.TickCount64 - t0, 800, 5000);
        Assert.Equal(["Warning: MPTCP generic netlink family has not appeared.", "Warning: Verify MPTCP netlink path manager kernel support."], log.Lines);
    }
}
