namespace Tributary.Flows.Applications.Midstat;

/// <summary>
/// The midstat application (<c>tributary flows midstat</c>): a <see cref="ConnectionTable"/> over a frame source,
/// printed every <see cref="Interval"/> (<see cref="IntervalPrinter"/>), as mOS's core 0 does from a timer, and once
/// more when the input ends. The timer runs on the context clock: a capture file's time (so a file prints the table
/// its traffic had at each interval, the same on every run; intervals without TCP packets print nothing) or, live, the
/// wall clock, also while the link is quiet. Tables are separated
/// by an empty line and flushed as they are written. Several sources (the captures of a fanout group, which split an
/// interface's connections between them) run one context each on a thread of its own, as mOS runs one per core; the
/// first context's timer prints every context's rows, its own first (the CPU column tells them apart).
/// </summary>
public sealed class MidstatMonitor
{
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

    /// <summary>Instruments that report the contexts' counters while they run (summed over the contexts); null for none.</summary>
    public Telemetry.FlowMetrics? Metrics { get; init; }

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
        Run([source], cancellationToken);
    }

    /// <summary>
    /// One context per source, each on a thread of its own (the first on this one), until every source has ended; then
    /// the final table. A source that fails ends the others too (a group without one of its captures would lose that
    /// one's connections); its fault propagates after the final table.
    /// </summary>
    public void Run(IReadOnlyList<IFrameSource> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
            throw new ArgumentException("no source", nameof(sources));
        MonitorContextOptions options = _options with { OfflineClock = !sources[0].IsLive };
        var contexts = new MonitorContext[sources.Count];
        var tables = new ConnectionTable[sources.Count];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var faults = new Exception?[sources.Count];
        try
        {
            for (int i = 0; i < contexts.Length; i++)
            {
                contexts[i] = new MonitorContext(options);
                Metrics?.Add(contexts[i]);
                tables[i] = new ConnectionTable(contexts[i], cpu: i);
            }
            if (Interval > TimeSpan.Zero)
                new IntervalPrinter(contexts[0], Interval, () => Print(tables)).Start();
            ShardThreads.Run(sources.Count, Monitor, "midstat");
        }
        finally
        {
            Print(tables);
            foreach (MonitorContext? c in contexts)
                c?.Dispose();
        }
        if (faults.FirstOrDefault(f => f is not null) is { } fault)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();

        void Monitor(int index)
        {
            try
            {
                long last = contexts[index].Run(sources[index], stop.Token);
                if (!sources[index].IsLive && last != long.MinValue)
                    contexts[index].Finish(last);
            }
            catch (Exception ex)
            {
                faults[index] = ex;
                stop.Cancel();
            }
        }
    }

    private void Print(ConnectionTable[] tables)
    {
        if (_printed)
            _output.Write('\n');
        _printed = true;
        _output.Write(ConnectionTable.Header);
        _output.Write('\n');
        foreach (ConnectionTable? table in tables)
            table?.WriteRows(_output);
        _output.Flush();
        Tables++;
    }
}
