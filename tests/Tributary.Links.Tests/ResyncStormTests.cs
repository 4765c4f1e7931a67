using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// Bursts of 100,000 address changes (plus link flaps): replaying the callbacks must give exactly
/// the kernel's final state with no duplicate or contradictory callback, with the default receive
/// buffer and with a tiny one that forces ENOBUFS again and again (mptcpd 0.12 goes deaf there).
/// </summary>
public class ResyncStormTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Bridges = 64;

    [KernelTheory]
    [InlineData(null)]
    [InlineData(4096)]
    public void A_burst_of_100000_address_changes_replays_to_the_kernels_final_state(int? receiveBuffer)
    {
        using var lab = new LinkLab();
        // Some state before the monitor starts, stored silently.
        for (int b = 0; b < Bridges; b++)
        {
            lab.Bridge($"br{b}");
            lab.Ip("addr", "add", $"10.{b}.255.1/32", "dev", $"br{b}");
        }
        var flags = NotifyFlags.None;
        using NetworkMonitor m = lab.Monitor(flags, receiveBuffer);
        var checker = new ReplayChecker();
        m.RegisterOps(checker);
        m.Start();
        checker.Seed(m);

        List<string> storm = StormCommands(100_000);
        lab.Ns.IpBatch(storm, force: true);

        List<string> expected = KernelState.Read(lab.Ns, flags);
        WaitForConvergence(checker, lab, flags);
        Assert.Empty(checker.Violations);
        Assert.Equal(expected, checker.State());
        output.WriteLine($"{storm.Count} commands, {checker.Callbacks} callbacks, {m.ResyncCount} resyncs, " +
            $"receive buffer {m.ReceiveBufferSize} bytes, final state {expected.Sum(l => l.Split(' ').Length - 1)} addresses");
        if (receiveBuffer is not null)
            Assert.True(m.ResyncCount > 0, "a 4 KiB buffer must have overflowed");
        // The monitor is still listening after all that.
        lab.Ip("addr", "add", "10.200.0.1/32", "dev", "br0");
        WaitForConvergence(checker, lab, flags);
        Assert.Contains(checker.State(), l => l.StartsWith("br0 ", StringComparison.Ordinal) && l.Contains(" 10.200.0.1", StringComparison.Ordinal));
        Assert.Empty(checker.Violations);
    }

    /// <summary>
    /// The address-selection policy through lost events: a burst of adds, deletions, deprecations
    /// (<c>preferred_lft 0</c>, at add time and by <c>ip addr change</c> later) and renewals, with ULA and
    /// 169.254/16 addresses among them; with a 4 KiB buffer the monitor overflows and resyncs again and
    /// again, and must still end with exactly the kernel's addresses that pass the policy (computed from
    /// <c>ip -j addr</c> by <see cref="KernelState"/>), with no contradictory callback on the way.
    /// </summary>
    [KernelTheory]
    [InlineData(null)]
    [InlineData(4096)]
    public void A_burst_of_deprecations_converges_to_the_kernels_state_under_the_policy(int? receiveBuffer)
    {
        using var lab = new LinkLab();
        const int bridges = 8;
        for (int b = 0; b < bridges; b++)
        {
            lab.Bridge($"br{b}");
            lab.Ip("addr", "add", $"10.{b}.255.1/32", "dev", $"br{b}");
            lab.Ip("addr", "add", $"2001:db8:{b}:ffff::1/128", "dev", $"br{b}", "nodad", "preferred_lft", "0");
        }
        const NotifyFlags flags = NotifyFlags.SkipUla | NotifyFlags.SkipDeprecated | NotifyFlags.SkipLinkLocal;
        using NetworkMonitor m = lab.Monitor(flags, receiveBuffer);
        var checker = new ReplayChecker();
        m.RegisterOps(checker);
        m.Start();
        checker.Seed(m);
        Assert.DoesNotContain(checker.State(), l => l.Contains("ffff::1", StringComparison.Ordinal)); // deprecated at start: not stored

        var rng = new Random(281);
        var lines = new List<string>();
        for (int k = 1; lines.Count < 10_000; k++)
        {
            int b = k % bridges;
            string v6 = $"2001:db8:{b}::{k:x}/128";
            string v4 = $"10.{b}.{k / 250 % 250}.{k % 250 + 1}/32";
            lines.Add(k % 5 == 0 ? $"addr add {v6} dev br{b} nodad preferred_lft 0" : $"addr add {v6} dev br{b} nodad");
            lines.Add($"addr add {v4} dev br{b}");
            if (k % 7 == 0)
                lines.Add($"addr add fd00:{b}::{k:x}/128 dev br{b} nodad");
            if (k % 11 == 0)
                lines.Add($"addr add 169.254.{b}.{k % 250 + 1}/32 dev br{b}");
            if (k > 40)
            {
                // Earlier addresses: deprecate some, renew some, delete some (v4 deprecation too).
                int j = k - rng.Next(1, 40);
                int jb = j % bridges;
                switch (rng.Next(4))
                {
                    case 0:
                        lines.Add($"addr change 2001:db8:{jb}::{j:x}/128 dev br{jb} preferred_lft 0");
                        break;
                    case 1:
                        lines.Add($"addr change 2001:db8:{jb}::{j:x}/128 dev br{jb} preferred_lft forever");
                        break;
                    case 2:
                        lines.Add($"addr change 10.{jb}.{j / 250 % 250}.{j % 250 + 1}/32 dev br{jb} preferred_lft {(rng.Next(2) == 0 ? "0" : "forever")}");
                        break;
                    default:
                        lines.Add($"addr del 2001:db8:{jb}::{j:x}/128 dev br{jb}");
                        break;
                }
            }
        }
        // Renew the deprecated ones from the start: they must come in.
        for (int b = 0; b < bridges; b++)
            lines.Add($"addr change 2001:db8:{b}:ffff::1/128 dev br{b} preferred_lft forever");
        lab.Ns.IpBatch(lines, force: true);

        WaitForConvergence(checker, lab, flags);
        List<string> expected = KernelState.Read(lab.Ns, flags);
        Assert.Empty(checker.Violations);
        Assert.Equal(expected, checker.State());
        Assert.Contains(expected, l => l.StartsWith("br3 ", StringComparison.Ordinal) && l.Contains(" 2001:db8:3:ffff::1", StringComparison.Ordinal));
        // The kernel holds deprecated, ULA and 169.254 addresses the policy left out.
        string all = lab.Ip("-j", "addr", "show");
        Assert.Contains("\"deprecated\":true", all, StringComparison.Ordinal);
        Assert.Contains("fd00:", all, StringComparison.Ordinal);
        Assert.Contains("169.254.", all, StringComparison.Ordinal);
        output.WriteLine($"{lines.Count} commands, {checker.Callbacks} callbacks, {m.ResyncCount} resyncs, " +
            $"receive buffer {m.ReceiveBufferSize} bytes, final state {expected.Sum(l => l.Split(' ').Length - 1)} addresses");
        if (receiveBuffer is not null)
            Assert.True(m.ResyncCount > 0, "a 4 KiB buffer must have overflowed");
    }

    /// <summary>
    /// About 100,000 address changes over the bridges, as churn: each new address (two IPv4 for one
    /// IPv6) is deleted again 16 rounds later, so no interface holds more than a few dozen (the
    /// kernel's per-interface address lists are linear; thousands per link would make the burst take
    /// minutes); every 5,000 changes a bridge flaps down and up (the kernel drops its static IPv6
    /// addresses and keeps IPv4). Deterministic.
    /// </summary>
    internal static List<string> StormCommands(int changes)
    {
        var rng = new Random(2026);
        var lines = new List<string>(changes + 100);
        var added = new List<(string Address, int Bridge)>();
        const int window = Bridges * 16;
        int n = 0;
        while (lines.Count < changes)
        {
            int b = n % Bridges;
            int k = n / Bridges;
            bool v6 = n % 3 == 0;
            string a = v6 ? $"fd00:{b}::{k:x}/128" : $"10.{b}.{k / 250 % 250}.{k % 250 + 1}/32";
            lines.Add(v6 ? $"addr add {a} dev br{b} nodad" : $"addr add {a} dev br{b}");
            added.Add((a, b));
            if (n >= window)
            {
                var (old, ob) = added[n - window];
                lines.Add($"addr del {old} dev br{ob}");
            }
            if (n % 2500 == 2499)
            {
                int f = rng.Next(Bridges);
                lines.Add($"link set br{f} down");
                lines.Add($"link set br{f} up");
            }
            n++;
        }
        return lines;
    }

    /// <summary>Waits until the replayed model equals the kernel's state and no callback came for a while.</summary>
    internal static void WaitForConvergence(ReplayChecker checker, LinkLab lab, NotifyFlags flags)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            List<string> kernel = KernelState.Read(lab.Ns, flags);
            if (checker.IdleMilliseconds > 500 && kernel.SequenceEqual(checker.State()))
            {
                Thread.Sleep(300);
                if (checker.IdleMilliseconds > 700 && kernel.SequenceEqual(checker.State()))
                    return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Equal(kernel, checker.State()); // fails with the difference
                return;
            }
            Thread.Sleep(200);
        }
    }
}
