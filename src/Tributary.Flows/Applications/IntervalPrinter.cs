namespace Tributary.Flows.Applications;

/// <summary>
/// Prints an application's table every <see cref="Interval"/> of a context's clock, from a user timer that re-arms
/// itself, as mOS's samples print from a one-second timer on core 0 (<c>flows midstat</c>, <c>flows firewall</c>).
/// Live (<see cref="MonitorContextOptions.OfflineClock"/> off) a table comes every interval, also while the link is
/// quiet. On a file, an interval in which no TCP packet came prints nothing: a capture whose clock jumps a day (or a
/// year) would otherwise print the same table for every second of the jump. The timer then sleeps until the next TCP
/// packet, which wakes it for the first interval boundary at or after that packet's time, so tables stay on the grid
/// that starts when the timer is started.
/// </summary>
public sealed class IntervalPrinter
{
    private readonly MonitorContext _context;
    private readonly Action _print;
    private readonly int _timerId;
    private readonly long _intervalUs;
    private readonly bool _skipQuiet;
    private readonly MonitorCallback _wake;
    private MonitorSocket? _waker;
    private bool _wakerRegistered;
    private bool _asleep;
    private long _tcpPacketsAtTick;
    private long _nextDue;
    private bool _started;

    /// <param name="context">The context whose clock and user timer <paramref name="timerId"/> drive the table.</param>
    /// <param name="interval">Time between tables (positive, whole microseconds).</param>
    /// <param name="print">Writes (and flushes) one table; runs on the context's thread.</param>
    /// <param name="timerId">The user timer id the printer uses.</param>
    public IntervalPrinter(MonitorContext context, TimeSpan interval, Action print, int timerId = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(print);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromMicroseconds(1));
        _context = context;
        _print = print;
        _timerId = timerId;
        _intervalUs = interval.Ticks / TimeSpan.TicksPerMicrosecond;
        _skipQuiet = context.Options.OfflineClock;
        _wake = Wake;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    /// <summary>Tables printed so far.</summary>
    public int Printed { get; private set; }

    /// <summary>Intervals left out because no TCP packet came in them (files only).</summary>
    public long Skipped { get; private set; }

    /// <summary>Arms the first table, one interval from now on the context clock (before the first frame: from the setup instant).</summary>
    public void Start()
    {
        if (_started)
            throw new InvalidOperationException("the printer is already started"); // two timer chains would print every table twice
        _started = true;
        _tcpPacketsAtTick = _context.Statistics.TcpPackets;
        _context.SetTimer(_timerId, Interval, Tick);
    }

    private void Tick(MonitorContext context, int timerId)
    {
        long due = context.ClockMicroseconds; // the timer fires with the clock at its due time
        long packets = context.Statistics.TcpPackets;
        if (_skipQuiet && packets == _tcpPacketsAtTick)
        {
            // Quiet: no table, and no timer until a TCP packet comes.
            Skipped++;
            _nextDue = due + _intervalUs;
            _asleep = true;
            _waker ??= context.CreateRawSocket();
            if (!_wakerRegistered)
            {
                _waker.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Null, _wake);
                _wakerRegistered = true;
            }
            return;
        }
        _tcpPacketsAtTick = packets;
        _print();
        Printed++;
        context.SetTimer(_timerId, Interval, Tick);
    }

    /// <summary>The first TCP packet after a quiet spell: the timer again, at the first boundary at or after it.</summary>
    private void Wake(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (!_asleep)
            return; // still registered: with MosCompat a de-registration fails, as in mOS (B5a)
        _asleep = false;
        if (socket.TryRegisterCallback(MonitorEvent.PacketIn, HookPoint.Null, null) == MonitorError.None)
            _wakerRegistered = false;
        long now = context.ClockMicroseconds;
        if (now > _nextDue)
        {
            long missed = (now - _nextDue + _intervalUs - 1) / _intervalUs;
            Skipped += missed;
            _nextDue += missed * _intervalUs;
        }
        context.SetTimer(_timerId, TimeSpan.FromMicroseconds(_nextDue - now), Tick);
    }
}
