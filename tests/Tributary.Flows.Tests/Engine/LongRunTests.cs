using Tributary.Flows.Tests.Support;
using Xunit.Abstractions;

namespace Tributary.Flows.Tests.Engine;

/// <summary>
/// Soak: a context fed a long churn of short connections keeps its TIME_WAIT and idle-timeout heaps in proportion to
/// the flows alive, not to the flows ever seen, and compacting them changes nothing that fires.
/// </summary>
public sealed class LongRunTests(ITestOutputHelper output)
{
    private readonly record struct Peak(int Idle, int TimeWait, long Active, long Compactions);

    /// <summary>Feeds the churn, sampling the heaps every few packets; the largest each reached, and the most flows alive.</summary>
    private static Peak Drive(MonitorContext ctx, IEnumerable<(byte[] Frame, long Us)> frames)
    {
        int idle = 0, timeWait = 0, n = 0;
        long active = 0;
        foreach ((byte[] frame, long us) in frames)
        {
            ctx.ProcessPacket(frame, 1, us);
            if (++n % 64 != 0)
                continue;
            idle = Math.Max(idle, ctx.IdleQueueCount);
            timeWait = Math.Max(timeWait, ctx.TimeWaitQueueCount);
            active = Math.Max(active, ctx.Statistics.Flows - ctx.Statistics.Destroyed);
        }
        return new Peak(idle, timeWait, active, ctx.TimerCompactions);
    }

    [Fact]
    public void Timer_heaps_stay_in_proportion_to_live_flows_under_churn_with_a_long_idle_timeout()
    {
        // 200k connections over ~140 s of capture time, a 1-hour idle timeout: without compaction the idle heap holds
        // an entry for every connection ever opened; the TIME_WAIT heap one for every close aborted by a RST.
        Peak peak = Soak(TimerQueueCompactorFloor, out long flows);
        Peak never = Soak(int.MaxValue, out _);
        output.WriteLine($"compacted: {peak}; never: {never}");

        Assert.Equal(200_000, flows);
        Assert.True(never.Idle > 150_000, $"{never}"); // the churn does pile up stale entries
        Assert.True(peak.Compactions > 0);
        long bound = 2 * peak.Active + 1024 + 64; // a compaction's trigger, plus the packets between two samples
        Assert.True(peak.Idle <= bound, $"idle heap {peak.Idle} > {bound} ({peak})");
        Assert.True(peak.TimeWait <= bound, $"TIME_WAIT heap {peak.TimeWait} > {bound} ({peak})");
        Assert.True(peak.Active < 10_000, $"{peak}"); // the churn is short-lived: the bound above means something
    }

    private const int TimerQueueCompactorFloor = 1024;

    private static Peak Soak(int floor, out long flows)
    {
        using var ctx = new MonitorContext(new MonitorContextOptions { TcpTimeoutSeconds = 3600, TimeWaitSeconds = 1 });
        Assert.Equal(TimerQueueCompactorFloor, ctx.TimerCompactionFloor);
        ctx.TimerCompactionFloor = floor;
        ctx.CreateStreamListener();
        Peak peak = Drive(ctx, Churn.Connections(200_000, abandonEvery: 1000));
        flows = ctx.Statistics.Flows;
        return peak;
    }

    [Fact]
    public void Compacting_the_timer_heaps_changes_no_event_or_timeout()
    {
        // Every ending, TIME_WAIT expiries and idle timeouts (1 s) firing during the run: the same events, in the same
        // order at the same clock, whether stale entries are dropped at every chance or never.
        var aggressive = Events(floor: 0, out Peak compacted);
        var never = Events(floor: int.MaxValue, out Peak kept);
        output.WriteLine($"compacted: {compacted}; never: {kept}");

        Assert.True(compacted.Compactions > 10, $"{compacted}");
        Assert.Equal(0, kept.Compactions);
        Assert.True(compacted.Idle < kept.Idle, $"{compacted} vs {kept}");
        Assert.Contains(aggressive, l => l.Contains(" timeout ", StringComparison.Ordinal));
        Assert.Contains(aggressive, l => l.EndsWith(" TimeWait", StringComparison.Ordinal));
        Assert.Equal(never.Count, aggressive.Count);
        Assert.Equal(never, aggressive);
    }

    private static List<string> Events(int floor, out Peak peak)
    {
        var log = new List<string>();
        using var ctx = new MonitorContext(new MonitorContextOptions { TcpTimeoutSeconds = 1, TimeWaitSeconds = 1 });
        ctx.TimerCompactionFloor = floor;
        MonitorSocket l = ctx.CreateStreamListener();
        l.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Receive, (c, s, d, e) =>
        {
            s.TryGetPeerNames(out FlowEndpoint client, out _);
            s.UserContext = client.ToString();
        });
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, (c, s, d, e) => log.Add($"{c.ClockMicroseconds} {s.UserContext} {d} {s.GetState(d)}"));
        l.RegisterCallback(MonitorEvent.Timeout, HookPoint.Receive, (c, s, d, e) => log.Add($"{c.ClockMicroseconds} {s.UserContext} {d} timeout "));
        l.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Receive, (c, s, d, e) => log.Add($"{c.ClockMicroseconds} {s.UserContext} {d} end"));
        peak = Drive(ctx, Churn.Connections(20_000, abandonEvery: 7));
        ctx.Finish(Churn.StartUs + 3_600_000_000);
        return log;
    }
}
