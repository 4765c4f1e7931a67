using Tributary.Capture;
using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Conn;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Engine;

/// <summary><see cref="MonitorContext.Run"/>: a context driven by a frame source, on the capture clock or, live, the wall clock.</summary>
public sealed class RunTests
{
    private static readonly byte[][] Connection =
    [
        C(Syn, 1000, 0), S(Syn | Ack, 5000, 1001), C(Ack, 1001, 5001), C(Psh | Ack, 1001, 5001, Text("GET /")),
        S(Psh | Ack, 5001, 1006, Text("OK")), C(Fin | Ack, 1006, 5003), S(Fin | Ack, 5003, 1007), C(Ack, 1007, 5004),
    ];

    /// <summary>Every packet and state change the context reports, and timers, in order, with the clock.</summary>
    private static List<string> Record(MonitorContext ctx)
    {
        var log = new List<string>();
        MonitorSocket l = ctx.CreateStreamListener();
        l.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, (c, s, d, e) => log.Add($"{c.ClockMicroseconds} in {d}"));
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, (c, s, d, e) => log.Add($"{c.ClockMicroseconds} {d} {s.GetState(d)}"));
        return log;
    }

    [Fact]
    public void A_file_is_run_on_its_capture_clock_as_frames_fed_one_by_one()
    {
        var frames = new ListFrameSource();
        for (int i = 0; i < Connection.Length; i++)
            frames.Add(Connection[i], 2_000_000 + i * 1000L);

        using var fed = new MonitorContext();
        List<string> expected = Record(fed);
        for (int i = 0; i < Connection.Length; i++)
            fed.ProcessPacket(Connection[i], 1, 2_000_000 + i * 1000L);

        using var run = new MonitorContext();
        List<string> log = Record(run);
        // A timer due between the 3rd and 4th frames fires there, on the capture clock.
        run.SetTimer(7, TimeSpan.FromMicroseconds(2500), (c, id) => log.Add($"{c.ClockMicroseconds} timer {id}"));
        long last = run.Run(frames);

        Assert.Equal(2_007_000, last);
        Assert.Equal(expected.Count + 1, log.Count);
        int timer = log.FindIndex(l => l.EndsWith("timer 7", StringComparison.Ordinal));
        Assert.True(timer > 0, string.Join('\n', log));
        Assert.Equal(expected, log.Where((_, i) => i != timer));
        Assert.StartsWith("2002000 ", log[timer - 1], StringComparison.Ordinal);
        Assert.StartsWith("2003000 in", log[timer + 1], StringComparison.Ordinal);
        Assert.Equal(fed.Statistics.Packets, run.Statistics.Packets);
    }

    [Fact]
    public void A_source_that_only_implements_TryRead_is_run_to_its_end()
    {
        var frames = new ListFrameSource();
        foreach (byte[] f in Connection)
            frames.Add(f);
        using var ctx = new MonitorContext();
        ctx.CreateStreamListener();
        Assert.Equal(1_700_000_000_000_000L + 7000, ctx.Run(frames));
        Assert.Equal(Connection.Length, ctx.Statistics.Packets);
        Assert.Equal(1, ctx.Statistics.Flows);
        Assert.Equal(long.MinValue, ctx.Run(frames)); // at its end already: nothing more
    }

    [Fact]
    public void Live_a_timer_fires_on_the_wall_clock_while_the_link_is_quiet()
    {
        // Frames stamped as they are read; 300 ms of quiet between the SYN and the SYN/ACK. A timer due 40 ms after
        // the SYN fires during the quiet, not when the SYN/ACK comes.
        var live = new ScriptedLiveSource([C(Syn, 1000, 0), null, null, null, null, null, null, S(Syn | Ack, 5000, 1001)], quietMilliseconds: 50);
        using var ctx = new MonitorContext();
        List<string> log = Record(ctx);
        long? fired = null;
        int readsBeforeTimer = -1;
        ctx.CreateStreamListener().RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Receive,
            (c, s, d, e) => c.SetTimer(1, TimeSpan.FromMilliseconds(40), (t, id) =>
            {
                fired = t.ClockMicroseconds;
                readsBeforeTimer = live.Reads;
                log.Add("timer");
            }));
        long last = ctx.Run(live);

        Assert.Equal(live.Stamps[1], last);
        Assert.NotNull(fired);
        Assert.True(fired >= live.Stamps[0] + 40_000 && fired < live.Stamps[1], $"{fired} not within ({live.Stamps[0]} + 40 ms, {live.Stamps[1]})");
        int timer = log.IndexOf("timer");
        Assert.True(timer > 0 && timer < log.FindLastIndex(l => l.Contains(" in ", StringComparison.Ordinal)), string.Join('\n', log));
        Assert.True(live.Timeouts >= 3, $"{live.Timeouts} quiet reads");
        // It fired during the quiet reads (after the first, which ended 50 ms after the SYN), not when the SYN/ACK was read.
        Assert.InRange(readsBeforeTimer, 2, 7);
    }

    [Fact]
    public void Live_a_cancelled_run_returns_while_the_link_is_quiet()
    {
        var live = new ScriptedLiveSource([C(Syn, 1000, 0), .. Enumerable.Repeat<byte[]?>(null, 10_000)], quietMilliseconds: 50);
        using var ctx = new MonitorContext();
        ctx.CreateStreamListener();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        long last = ctx.Run(live, cts.Token);
        Assert.Equal(live.Stamps[0], last);
        Assert.Equal(1, ctx.Statistics.Flows);
        Assert.InRange(live.Timeouts, 1, 100); // stopped long before the script's end
    }

    [Fact]
    public void An_input_fault_propagates_after_the_frames_before_it()
    {
        var frames = new FailingSource(Connection[..3]);
        using var ctx = new MonitorContext();
        ctx.CreateStreamListener();
        Assert.Throws<InvalidDataException>(() => ctx.Run(frames));
        Assert.Equal(3, ctx.Statistics.Packets);
    }

    /// <summary>
    /// A live source: each entry is a frame, stamped with the wall clock when read, or null for a quiet read
    /// (<paramref name="quietMilliseconds"/> of waiting, then <see cref="PacketReadResult.Timeout"/>).
    /// </summary>
    private sealed class ScriptedLiveSource(byte[]?[] script, int quietMilliseconds) : IFrameSource
    {
        private int _next;

        public List<long> Stamps { get; } = [];

        /// <summary>Reads so far.</summary>
        public int Reads => _next;

        public int Timeouts { get; private set; }

        public bool IsLive => true;

        public PacketReadResult Read(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength,
            out PacketFlags flags, int timeoutMilliseconds)
        {
            Assert.Equal(quietMilliseconds, timeoutMilliseconds); // a live source is never read without a timeout
            frame = default;
            (linkType, timestampMicroseconds, wireLength, flags) = (0, 0, 0, PacketFlags.None);
            if (_next == script.Length)
                return PacketReadResult.EndOfInput;
            byte[]? f = script[_next++];
            if (f is null)
            {
                Thread.Sleep(timeoutMilliseconds);
                Timeouts++;
                return PacketReadResult.Timeout;
            }
            frame = f;
            linkType = 1;
            wireLength = f.Length;
            timestampMicroseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            Stamps.Add(timestampMicroseconds);
            return PacketReadResult.Packet;
        }

        public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength) =>
            throw new InvalidOperationException("a live source is read with a timeout");

        public void Dispose()
        {
        }
    }

    /// <summary>Gives its frames, then fails as a truncated file does.</summary>
    private sealed class FailingSource(byte[][] frames) : IFrameSource
    {
        private int _next;

        public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength)
        {
            if (_next == frames.Length)
                throw new InvalidDataException("truncated");
            frame = frames[_next];
            (linkType, timestampMicroseconds, wireLength) = (1, 1_000_000 + _next * 1000L, frames[_next].Length);
            _next++;
            return true;
        }

        public void Dispose()
        {
        }
    }
}
