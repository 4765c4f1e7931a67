namespace Tributary.Flows.Applications.Midstat;

/// <summary>
/// The midstat application (<c>tributary flows midstat</c>): a <see cref="ConnectionTable"/> over a frame source,
/// printed every <see cref="Interval"/> by a timer that re-arms itself, as mOS's core 0 does, and once more when the
/// input ends. The timer runs on the context clock: a capture file's time (so a file prints the table its traffic had at
/// each interval, the same on every run) or, live, the wall clock, also while the link is quiet. Tables are separated
/// by an empty line and flushed as they are written.
/// </summary>
public sealed class MidstatMonitor
{
    private const int TimerId = 1;
    private readonly MonitorContextOptions _options;
    private readonly TextWriter _output;
    private bool _printed;

    /// <param name="options">The context's options (MosCompat, timeouts, mid-stream pickup).</param>
    /// <param name="output">Where tables go.</param>
    /// <param name="interval">Time between tables; zero prints only the final table.</param>
    public MidstatMonitor(MonitorContextOptions options, TextWriter output, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _options = options;
        _output = output;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    /// <summary>Tables written so far.</summary>
    public int Tables { get; private set; }

    /// <summary>
    /// Monitors <paramref name="source"/> until it ends (a file's end, or a live capture stopped) or
    /// <paramref name="cancellationToken"/> is cancelled, then writes the final table. At a file's end the clock
    /// stops at the last frame: tables due up to that instant are written, flows still open stay in the final table.
    /// Input faults propagate after the final table.
    /// </summary>
    public void Run(IFrameSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var context = new MonitorContext(_options);
        var table = new ConnectionTable(context);
        if (Interval > TimeSpan.Zero)
            context.SetTimer(TimerId, Interval, Tick);
        try
        {
            long last = context.Run(source, cancellationToken);
            if (!source.IsLive && last != long.MinValue)
                context.Finish(last);
        }
        finally
        {
            Print(table);
        }

        void Tick(MonitorContext c, int id)
        {
            Print(table);
            c.SetTimer(TimerId, Interval, Tick);
        }
    }

    private void Print(ConnectionTable table)
    {
        if (_printed)
            _output.Write('\n');
        _printed = true;
        table.Write(_output);
        _output.Flush();
        Tables++;
    }
}
