using System.Diagnostics.Metrics;
using Tributary.Capture;
using Tributary.Capture.Live;

namespace Tributary.Flows.Telemetry;

/// <summary>
/// The flow monitor's counters as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <see cref="MeterName"/>), for an OpenTelemetry exporter or any other <see cref="MeterListener"/> (DESIGN.md "export to
/// existing engines"). Every instrument is observable: it reads the <see cref="MonitorStatistics"/> the contexts keep
/// anyway, summed over the contexts added (the shards of one monitor), when a listener collects — so the per-packet path
/// does no extra work, not even an atomic increment. Live captures added give the kernel's receive and drop counts.
/// </summary>
/// <remarks>
/// <para>
/// Threads: each context's counters are written by the one thread that runs it, with plain increments, and read here
/// from the collecting thread. A read of an aligned 64-bit field is atomic on 64-bit platforms (x64, arm64: the runtime
/// aligns <c>long</c> fields of classes), so a value read is one the counter had, at most a moment old; a collection
/// is not a snapshot across counters or shards (packets may be ahead of flows by a frame), which a cumulative sum
/// tolerates. At the end of a run, after the contexts' threads have been joined, a collection reads the exact totals.
/// </para>
/// <para>
/// Counters never go back: each is reported as the largest sum seen so far. A context taken out with
/// <see cref="Remove"/> (the work of a sharded file run that is redone by one reader, <c>FlowStatistics</c>) drops its
/// counts; the counters then hold their value until the redone work passes it, instead of a drop a back end would read
/// as a reset and count twice.
/// </para>
/// </remarks>
public sealed class FlowMetrics : IDisposable
{
    /// <summary>The meter's name: what an OpenTelemetry <c>MeterProvider</c> is told to listen to.</summary>
    public const string MeterName = "Tributary.Flows";

    /// <summary>Attribute naming the live interface (OpenTelemetry semantic conventions' <c>network.interface.name</c>).</summary>
    public const string InterfaceAttribute = "network.interface.name";

    /// <summary>Attribute naming the capture file a run reads.</summary>
    public const string CaptureFileAttribute = "tributary.capture.file";

    /// <summary>Attribute of <c>tributary.flows.ended</c>: <c>close</c> or <c>idle_timeout</c>.</summary>
    public const string EndReasonAttribute = "tributary.flow.end_reason";

    /// <summary>Attribute of <c>tributary.flows.discarded</c>: <c>malformed</c> or <c>bad_checksum</c>.</summary>
    public const string DiscardReasonAttribute = "tributary.discard.reason";

    private enum Counter
    {
        Packets,
        TcpPackets,
        Flows,
        Closed,
        Timeouts,
        Orphans,
        Retransmissions,
        Errors,
        Malformed,
        ChecksumErrors,
        KernelReceived,
        KernelDropped,
        Count,
    }

    private readonly Lock _lock = new();
    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?>[] _attributes;
    private readonly KeyValuePair<string, object?>[] _closed, _idle, _malformed, _badChecksum;
    private readonly long[] _reported = new long[(int)Counter.Count];
    private readonly long[] _sums = new long[(int)Counter.Count];
    // Copy-on-write: contexts and captures are added from the threads that create them, read by the collecting thread.
    private MonitorContext[] _contexts = [];
    private LiveCapture[] _captures = [];

    /// <param name="attributes">
    /// Attributes of every measurement: what is monitored (<see cref="InterfaceAttribute"/>, <see cref="CaptureFileAttribute"/>).
    /// </param>
    public FlowMetrics(IEnumerable<KeyValuePair<string, object?>>? attributes = null)
    {
        _attributes = attributes?.ToArray() ?? [];
        _closed = [.. _attributes, new(EndReasonAttribute, "close")];
        _idle = [.. _attributes, new(EndReasonAttribute, "idle_timeout")];
        _malformed = [.. _attributes, new(DiscardReasonAttribute, "malformed")];
        _badChecksum = [.. _attributes, new(DiscardReasonAttribute, "bad_checksum")];
        _meter = new Meter(MeterName, typeof(FlowMetrics).Assembly.GetName().Version?.ToString());
        _meter.CreateObservableCounter("tributary.flows.packets", () => One(Counter.Packets), "{packet}",
            "Frames the monitor processed.");
        _meter.CreateObservableCounter("tributary.flows.tcp_packets", () => One(Counter.TcpPackets), "{packet}",
            "Frames carrying a complete TCP segment.");
        _meter.CreateObservableCounter("tributary.flows.started", () => One(Counter.Flows), "{flow}",
            "TCP flows the monitor started tracking.");
        _meter.CreateObservableCounter("tributary.flows.ended", Ended, "{flow}",
            "TCP flows the monitor ended, by reason: close (FIN or RST, after TIME_WAIT) or idle_timeout.");
        _meter.CreateObservableUpDownCounter("tributary.flows.active", Active, "{flow}",
            "TCP flows tracked now.");
        _meter.CreateObservableCounter("tributary.flows.orphans", () => One(Counter.Orphans), "{packet}",
            "TCP segments that belong to no tracked flow.");
        _meter.CreateObservableCounter("tributary.flows.retransmissions", () => One(Counter.Retransmissions), "{segment}",
            "Retransmitted TCP segments detected.");
        _meter.CreateObservableCounter("tributary.flows.errors", () => One(Counter.Errors), "{error}",
            "Error events raised (TCP anomalies, receive buffers outrun).");
        _meter.CreateObservableCounter("tributary.flows.discarded", Discarded, "{packet}",
            "Frames ignored, by reason: malformed (headers that contradict themselves or the frame) or bad_checksum.");
        _meter.CreateObservableCounter("tributary.capture.received", () => Kernel(Counter.KernelReceived), "{packet}",
            "Packets the kernel passed to the live capture (delivered or dropped).");
        _meter.CreateObservableCounter("tributary.capture.dropped", () => Kernel(Counter.KernelDropped), "{packet}",
            "Packets the kernel dropped because the capture ring was full: packets the flow counts lack.");
    }

    /// <summary>The meter holding the instruments.</summary>
    public Meter Meter => _meter;

    /// <summary>Adds a context (a shard): its counters join the sums from now on. Any thread.</summary>
    public void Add(MonitorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (_lock)
            _contexts = [.. _contexts, context];
    }

    /// <summary>
    /// Takes a context out, its counts with it (work that is thrown away and redone); the counters hold their values
    /// until the sums pass them again. Any thread.
    /// </summary>
    public void Remove(MonitorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (_lock)
            _contexts = Array.FindAll(_contexts, c => c != context);
    }

    /// <summary>Adds a packet source: a live capture's kernel counters are reported; other sources add nothing. Any thread.</summary>
    public void Add(PacketSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source is not LiveCapture live)
            return;
        lock (_lock)
            _captures = [.. _captures, live];
    }

    /// <summary>Whether live captures were added (the <c>tributary.capture.*</c> counters report only then).</summary>
    public bool HasLiveCaptures => Volatile.Read(ref _captures).Length > 0;

    private Measurement<long>[] One(Counter counter)
    {
        Collect();
        return [new(Reported(counter), _attributes)];
    }

    private Measurement<long>[] Ended()
    {
        Collect();
        return [new(Reported(Counter.Closed), _closed), new(Reported(Counter.Timeouts), _idle)];
    }

    private Measurement<long>[] Discarded()
    {
        Collect();
        return [new(Reported(Counter.Malformed), _malformed), new(Reported(Counter.ChecksumErrors), _badChecksum)];
    }

    private Measurement<long>[] Kernel(Counter counter)
    {
        if (!HasLiveCaptures)
            return [];
        CollectKernel();
        return [new(Reported(counter), _attributes)];
    }

    private Measurement<long>[] Active()
    {
        long active = 0;
        foreach (MonitorContext c in Volatile.Read(ref _contexts))
            active += c.ActiveFlows; // an int: read whole
        return [new(active, _attributes)];
    }

    private long Reported(Counter counter)
    {
        lock (_lock)
            return _reported[(int)counter];
    }

    /// <summary>
    /// Reads every counter of every context once and raises the reported values to the sums. A collection calls each
    /// instrument's callback in turn; each reads everything afresh, which costs nanoseconds per context.
    /// </summary>
    private void Collect()
    {
        lock (_lock)
        {
            Array.Clear(_sums);
            foreach (MonitorContext c in _contexts)
            {
                MonitorStatistics s = c.Statistics;
                _sums[(int)Counter.Packets] += Volatile.Read(ref s.PacketsField);
                _sums[(int)Counter.TcpPackets] += Volatile.Read(ref s.TcpPacketsField);
                _sums[(int)Counter.Flows] += Volatile.Read(ref s.FlowsField);
                _sums[(int)Counter.Closed] += Volatile.Read(ref s.ClosedField);
                _sums[(int)Counter.Timeouts] += Volatile.Read(ref s.TimeoutsField);
                _sums[(int)Counter.Orphans] += Volatile.Read(ref s.OrphansField);
                _sums[(int)Counter.Retransmissions] += Volatile.Read(ref s.RetransmissionsField);
                _sums[(int)Counter.Errors] += Volatile.Read(ref s.ErrorsField);
                _sums[(int)Counter.Malformed] += Volatile.Read(ref s.MalformedField);
                _sums[(int)Counter.ChecksumErrors] += Volatile.Read(ref s.ChecksumErrorsField);
            }
            Raise(0, (int)Counter.KernelReceived);
        }
    }

    /// <summary>
    /// Asks every live capture for the kernel's counts (a getsockopt each, so only the two callbacks that report them
    /// do) and raises the reported values; when a socket cannot tell, the last values are kept.
    /// </summary>
    private void CollectKernel()
    {
        lock (_lock)
        {
            _sums[(int)Counter.KernelReceived] = _sums[(int)Counter.KernelDropped] = 0;
            foreach (LiveCapture capture in _captures)
            {
                try
                {
                    LiveCaptureStatistics k = capture.GetStatistics(); // thread-safe; the capture accumulates what the kernel resets
                    _sums[(int)Counter.KernelReceived] += k.Received;
                    _sums[(int)Counter.KernelDropped] += k.Dropped;
                }
                catch (CaptureSystemException)
                {
                    return;
                }
            }
            Raise((int)Counter.KernelReceived, (int)Counter.Count);
        }
    }

    /// <summary>Raises the reported values of counters [<paramref name="from"/>, <paramref name="to"/>) to their sums: a counter never goes back.</summary>
    private void Raise(int from, int to)
    {
        for (int i = from; i < to; i++)
            _reported[i] = Math.Max(_reported[i], _sums[i]);
    }

    /// <summary>Ends the instruments (an exporter's last collection must come before).</summary>
    public void Dispose() => _meter.Dispose();
}
