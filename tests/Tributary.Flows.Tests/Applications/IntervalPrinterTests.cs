using Tributary.Flows.Applications;
using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Applications;

/// <summary><see cref="IntervalPrinter"/>: a table per interval, on a file only for intervals with TCP packets, on the same grid.</summary>
public sealed class IntervalPrinterTests
{
    private const long T0 = 1_700_000_000_000_000L;

    private static byte[] Segment(uint seq) => Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, seq, 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_prints_only_intervals_with_TCP_packets_and_a_jump_of_a_year_costs_nothing(bool compat)
    {
        // Packets at 0, 0.5, 1.5 s, then a year later at +0.3, +1.5 and +2.2 s. The grid starts 1 µs before the first
        // frame (the setup instant): tables at 1 s - 1 µs and 2 s - 1 µs; the tick at 3 s - 1 µs finds its interval
        // quiet and sleeps; the packet a year on wakes it for the next boundary, whose interval holds that packet.
        const long Year = 365L * 86_400 * 1_000_000;
        var frames = new ListFrameSource()
            .Add(Segment(1), T0).Add(Segment(2), T0 + 500_000).Add(Segment(3), T0 + 1_500_000)
            .Add(Segment(4), T0 + Year + 300_000).Add(Segment(5), T0 + Year + 1_500_000).Add(Segment(6), T0 + Year + 2_200_000);
        using var ctx = new MonitorContext(new MonitorContextOptions { OfflineClock = true, MosCompat = compat });
        ctx.CreateStreamListener(); // an application's (in mOS, a context with raw sockets only never reaches TCP)
        var at = new List<long>();
        var printer = new IntervalPrinter(ctx, TimeSpan.FromSeconds(1), () => at.Add(ctx.ClockMicroseconds));
        printer.Start();
        ctx.Finish(ctx.Run(frames));

        long Grid(long k) => T0 - 1 + k * 1_000_000;
        Assert.Equal([Grid(1), Grid(2), Grid(365L * 86_400 + 1), Grid(365L * 86_400 + 2)], at);
        Assert.Equal(4, printer.Printed);
        Assert.Equal(365L * 86_400 + 2 - 4, printer.Skipped); // the grid's other boundaries up to the last table
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_quiet_spell_sleeps_and_the_next_packet_wakes_it(bool compat)
    {
        // Three bursts with a quiet minute between them; with MosCompat the waker's de-registration fails (B5a) and
        // it stays registered, ignoring packets while awake.
        var frames = new ListFrameSource();
        uint seq = 1;
        foreach (long start in new[] { 0L, 60_000_000, 120_000_000 })
        {
            for (long t = 0; t < 1_500_000; t += 250_000)
                frames.Add(Segment(seq++), T0 + start + t);
        }
        frames.Add(Segment(seq), T0 + 180_000_000);
        using var ctx = new MonitorContext(new MonitorContextOptions { OfflineClock = true, MosCompat = compat });
        ctx.CreateStreamListener(); // an application's (in mOS, a context with raw sockets only never reaches TCP)
        var at = new List<long>();
        var printer = new IntervalPrinter(ctx, TimeSpan.FromSeconds(1), () => at.Add((ctx.ClockMicroseconds - T0 + 1) / 1_000_000));
        printer.Start();
        ctx.Finish(ctx.Run(frames));
        // Per burst (0 to 1.25 s after its start): the boundary in it and the first after it; the last frame wakes
        // the grid for 181 s, after the end.
        Assert.Equal([1L, 2, 61, 62, 121, 122], at);
        Assert.Equal(180 - 6, printer.Skipped);
    }

    [Fact]
    public void Live_every_interval_prints_also_while_quiet()
    {
        using var ctx = new MonitorContext(new MonitorContextOptions { OfflineClock = false });
        var at = new List<long>();
        var printer = new IntervalPrinter(ctx, TimeSpan.FromMilliseconds(100), () => at.Add(ctx.ClockMicroseconds));
        printer.Start();
        ctx.ProcessPacket(Segment(1), 1, T0);
        ctx.AdvanceClock(T0 + 450_000); // the wall clock, no frame
        Assert.Equal([T0 - 1 + 100_000, T0 - 1 + 200_000, T0 - 1 + 300_000, T0 - 1 + 400_000], at);
        Assert.Equal(0, printer.Skipped);
    }

    [Fact]
    public void It_starts_once_and_takes_a_whole_number_of_microseconds()
    {
        using var ctx = new MonitorContext();
        var printer = new IntervalPrinter(ctx, TimeSpan.FromSeconds(1), () => { });
        printer.Start();
        Assert.Throws<InvalidOperationException>(printer.Start);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntervalPrinter(ctx, TimeSpan.FromTicks(9), () => { }));
    }
}
