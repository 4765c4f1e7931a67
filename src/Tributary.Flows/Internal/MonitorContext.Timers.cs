using System.Runtime.CompilerServices;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>
/// Clock and due work (TRACER §5, DEVIATIONS B14, B22): user timers (µs), TIME_WAIT expiries and idle timeouts
/// (1-ms ticks). Equal due times fire user timers first, then TIME_WAIT, then idle timeouts, each in list order.
/// Per packet the only cost is storing the flow's last-activity tick; expiry is checked lazily.
/// </summary>
public sealed partial class MonitorContext
{
    private long _clockUs = long.MinValue;
    private long _timerSequence;
    private readonly List<(long Due, long Sequence, int Id, MonitorTimerCallback Callback)> _userTimers = [];
    private readonly List<(long Delay, long Sequence, int Id, MonitorTimerCallback Callback)> _unsetTimers = [];
    private readonly PriorityQueue<(int Flow, int Generation, bool Client), (long Due, long Sequence)> _timeWaits = new();
    private readonly PriorityQueue<(int Flow, int Generation), (long Due, long Sequence)> _idle = new();
    // Entries of ended flows are skipped when they reach the top; the compactors keep them from piling up until then.
    private TimerQueueCompactor<(int Flow, int Generation, bool Client), (long Due, long Sequence)> _timeWaitCompactor = null!;
    private TimerQueueCompactor<(int Flow, int Generation), (long Due, long Sequence)> _idleCompactor = null!;
    // MosCompat idle list (mOS timeout list: creation order, walked from the head, B14).
    private int _idleHead = -1;
    private int _idleTail = -1;
    private long _idleHeadSinceUs;
    /// <summary>A lower bound of the next due time: per packet, one comparison decides that nothing is due.</summary>
    private long _nextDueUs = long.MinValue;

    private void LowerNextDue(long due)
    {
        if (due < _nextDueUs)
            _nextDueUs = due;
    }

    private void InitializeTimers()
    {
        _timeWaitCompactor = new(_timeWaits, (e, prio) => IsLiveTimeWait(e.Flow, e.Generation, e.Client, prio.Due));
        _idleCompactor = new(_idle, (e, _) => IsLiveIdle(e.Flow, e.Generation));
    }

    /// <summary>Entries in the TIME_WAIT heap, stale ones included (soak tests).</summary>
    internal int TimeWaitQueueCount => _timeWaits.Count;

    /// <summary>Entries in the idle-timeout heap, stale ones included (soak tests).</summary>
    internal int IdleQueueCount => _idle.Count;

    /// <summary>Heap size below which stale entries are left alone; <see cref="int.MaxValue"/>: never compacted (tests).</summary>
    internal int TimerCompactionFloor
    {
        get => _idleCompactor.Floor;
        set => _timeWaitCompactor.Floor = _idleCompactor.Floor = value;
    }

    /// <summary>Rebuilds of the TIME_WAIT and idle heaps so far (tests).</summary>
    internal long TimerCompactions => _timeWaitCompactor.Compactions + _idleCompactor.Compactions;

    private long TimeoutUs => (long)Options.TcpTimeoutSeconds * 1_000_000;

    private void AddUserTimer(int id, long delayUs, MonitorTimerCallback callback)
    {
        long seq = _timerSequence++;
        if (_clockUs == long.MinValue)
        {
            _unsetTimers.Add((delayUs, seq, id, callback));
            return;
        }
        InsertUserTimer((_clockUs + delayUs, seq, id, callback));
    }

    private void InsertUserTimer((long Due, long Sequence, int Id, MonitorTimerCallback Callback) t)
    {
        int i = _userTimers.Count;
        while (i > 0 && _userTimers[i - 1].Due > t.Due)
            i--;
        _userTimers.Insert(i, t);
        LowerNextDue(t.Due);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AdvanceClockCore(long timestampUs, bool inclusive)
    {
        // Per packet, nearly always: nothing due, the clock stands or moves forward.
        if (timestampUs < _nextDueUs && _clockUs != long.MinValue)
        {
            if (timestampUs > _clockUs)
                SetClock(timestampUs);
            return;
        }
        AdvanceClockSlow(timestampUs, inclusive);
    }

    private void AdvanceClockSlow(long timestampUs, bool inclusive)
    {
        if (_clockUs == long.MinValue)
        {
            // Setup happened 1 µs before the first frame (TRACER §5 step 2).
            SetClock(timestampUs - 1);
            foreach (var t in _unsetTimers)
                InsertUserTimer((_clockUs + t.Delay, t.Sequence, t.Id, t.Callback));
            _unsetTimers.Clear();
        }
        FireDue(timestampUs, inclusive);
        if (timestampUs > _clockUs)
            SetClock(timestampUs);
    }

    private void SetClock(long us)
    {
        _clockUs = us;
        _ticks = FloorDiv(us, 1000);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Fires due work with due &lt; t (or ≤ t when inclusive) in due order.</summary>
    private void FireDue(long t, bool inclusive)
    {
        if (inclusive ? t < _nextDueUs : t <= _nextDueUs)
            return;
        while (true)
        {
            long bestDue = long.MaxValue;
            int kind = -1;
            if (_userTimers.Count > 0)
            {
                bestDue = _userTimers[0].Due;
                kind = 0;
            }
            if (NextTimeWait(out long twDue) && twDue < bestDue)
            {
                bestDue = twDue;
                kind = 1;
            }
            if (NextIdle(out long idleDue) && idleDue < bestDue)
            {
                bestDue = idleDue;
                kind = 2;
            }
            if (kind < 0 || (inclusive ? bestDue > t : bestDue >= t))
            {
                _nextDueUs = bestDue;
                return;
            }
            if (bestDue > _clockUs)
                SetClock(bestDue);
            switch (kind)
            {
                case 0:
                    {
                        var timer = _userTimers[0];
                        _userTimers.RemoveAt(0);
                        timer.Callback(this, timer.Id);
                        break;
                    }
                case 1:
                    FireTimeWait();
                    break;
                default:
                    FireIdle();
                    break;
            }
        }
    }

    // ------------------------------------------------------------------ TIME_WAIT

    /// <summary>
    /// Schedules the TIME_WAIT expiry of each side of <paramref name="flow"/> in TIME_WAIT whose peer is done: due
    /// at the later of tw after it entered TIME_WAIT (ms ticks) and the moment the peer became CLOSED or TIME_WAIT.
    /// </summary>
    private void ScheduleTimeWaits(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        TryScheduleTimeWait(flow, ref f, client: true);
        TryScheduleTimeWait(flow, ref f, client: false);
    }

    private void TryScheduleTimeWait(int flow, ref FlowRecord f, bool client)
    {
        if (TimeWaitDue(ref f, client) is long due)
        {
            _timeWaits.Enqueue((flow, f.Generation, client), (due, _timerSequence++));
            LowerNextDue(due);
            _timeWaitCompactor.AfterEnqueue();
        }
    }

    private long? TimeWaitDue(ref FlowRecord f, bool client)
    {
        ref SideState x = ref SideOf(ref f, client);
        ref SideState peer = ref SideOf(ref f, !client);
        if (x.State != StTimeWait || !(peer.IsClosed || peer.State == StTimeWait || !peer.Exists))
            return null;
        long due = (FloorDiv(x.TimeWaitSinceUs, 1000) + (long)_timeWaitSeconds * 1000) * 1000;
        return Math.Max(due, peer.DoneSinceUs);
    }

    private bool NextTimeWait(out long due)
    {
        while (_timeWaits.TryPeek(out var e, out var prio))
        {
            if (IsLiveTimeWait(e.Flow, e.Generation, e.Client, prio.Due))
            {
                due = prio.Due;
                return true;
            }
            _timeWaits.Dequeue(); // stale: the flow ended, or the hold was restarted
        }
        due = 0;
        return false;
    }

    /// <summary>Whether a TIME_WAIT entry would fire: its flow lives on, and the hold was not restarted since.</summary>
    private bool IsLiveTimeWait(int flow, int generation, bool client, long due)
    {
        ref FlowRecord f = ref _flows[flow];
        return f.InUse && f.Generation == generation && !f.Destroying && TimeWaitDue(ref f, client) == due;
    }

    private void FireTimeWait()
    {
        var e = _timeWaits.Dequeue();
        ref FlowRecord f = ref _flows[e.Flow];
        ref SideState x = ref SideOf(ref f, e.Client);
        x.State = StClosed; // mOS CheckTimewaitExpire: CLOSED, then destroy starting with this side
        DestroyFlow(e.Flow, clientFirst: e.Client, DestroyReason.TimeWait);
    }

    // ------------------------------------------------------------------ idle timeout

    /// <summary>Puts the flow on the idle-timeout structure at its SYN (INVENTORY §6.7: only the client stream is listed).</summary>
    private void ScheduleIdle(int flow)
    {
        if (Options.TcpTimeoutSeconds <= 0)
            return;
        ref FlowRecord f = ref _flows[flow];
        if (f.OnTimeoutList)
            return;
        f.OnTimeoutList = true;
        if (_compat)
        {
            f.TimeoutPrev = _idleTail;
            f.TimeoutNext = -1;
            if (_idleTail >= 0)
                _flows[_idleTail].TimeoutNext = flow;
            else
            {
                _idleHead = flow;
                _idleHeadSinceUs = _clockUs;
                _nextDueUs = long.MinValue; // a new head: recompute
            }
            _idleTail = flow;
        }
        else
        {
            long due = IdleDue(ref f);
            _idle.Enqueue((flow, f.Generation), (due, f.CreationSequence));
            LowerNextDue(due);
            _idleCompactor.AfterEnqueue();
        }
    }

    private long IdleDue(ref FlowRecord f) => (f.LastActiveTick + (long)Options.TcpTimeoutSeconds * 1000) * 1000;

    private void UnlinkIdle(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        if (!f.OnTimeoutList)
            return;
        f.OnTimeoutList = false;
        if (!_compat)
            return; // heap entries go stale and are skipped lazily
        if (f.TimeoutPrev >= 0)
            _flows[f.TimeoutPrev].TimeoutNext = f.TimeoutNext;
        else
        {
            _idleHead = f.TimeoutNext;
            _idleHeadSinceUs = _clockUs;
            _nextDueUs = long.MinValue; // the head changed: recompute
        }
        if (f.TimeoutNext >= 0)
            _flows[f.TimeoutNext].TimeoutPrev = f.TimeoutPrev;
        else
            _idleTail = f.TimeoutPrev;
        f.TimeoutNext = f.TimeoutPrev = -1;
    }

    private bool NextIdle(out long due)
    {
        due = 0;
        if (Options.TcpTimeoutSeconds <= 0)
            return false;
        if (_compat)
        {
            // B14: only the head of the creation-ordered list is looked at; a younger idle flow waits behind it.
            if (_idleHead < 0)
                return false;
            due = Math.Max(IdleDue(ref _flows[_idleHead]), _idleHeadSinceUs);
            return true;
        }
        while (_idle.TryPeek(out var e, out var prio))
        {
            if (!IsLiveIdle(e.Flow, e.Generation))
            {
                _idle.Dequeue();
                continue;
            }
            long actual = IdleDue(ref _flows[e.Flow]);
            if (actual != prio.Due)
            {
                _idle.Dequeue(); // activity since: re-queue at the real due time (lazy timer wheel)
                _idle.Enqueue(e, (actual, prio.Sequence));
                continue;
            }
            due = actual;
            return true;
        }
        return false;
    }

    /// <summary>Whether an idle entry's flow is still the one it was queued for, and still on the timeout list.</summary>
    private bool IsLiveIdle(int flow, int generation)
    {
        ref FlowRecord f = ref _flows[flow];
        return f.InUse && f.Generation == generation && !f.Destroying && f.OnTimeoutList;
    }

    private void FireIdle()
    {
        int flow;
        if (_compat)
        {
            flow = _idleHead;
        }
        else
        {
            flow = _idle.Dequeue().Flow;
        }
        ref FlowRecord f = ref _flows[flow];
        UnlinkIdle(flow);
        // INVENTORY §6.7: the client side is closed and destroyed first.
        SetClosed(ref f.Client);
        DestroyFlow(flow, clientFirst: true, DestroyReason.Idle);
    }
}
