namespace Tributary.Flows.Internal;

/// <summary>
/// Bounds a timer heap that deletes lazily. Entries of work that was cancelled (a flow that ended, a timer that was
/// re-armed) stay in the heap until they reach its top; under churn — many short flows, a long timeout — that is
/// without bound relative to the live work. When the heap has grown to more than twice the entries that were live at
/// the last compaction (and more than <see cref="Floor"/>), it is rebuilt with the live entries only. Their
/// priorities are kept, so (being distinct) they come out in the same order as before; each compaction at least
/// halves the heap, so the cost is amortized O(1) per enqueue.
/// </summary>
internal sealed class TimerQueueCompactor<TElement, TPriority>
{
    /// <summary>The default <see cref="Floor"/>: below it, stale entries cost less than looking for them.</summary>
    public const int DefaultFloor = 1024;

    private readonly PriorityQueue<TElement, TPriority> _queue;
    private readonly Func<TElement, TPriority, bool> _isLive;
    private readonly List<(TElement, TPriority)> _live = [];
    private int _liveAtLastCompaction;

    /// <param name="queue">The heap to keep bounded.</param>
    /// <param name="isLive">Whether an entry would still fire (is not skipped as stale when it reaches the top).</param>
    public TimerQueueCompactor(PriorityQueue<TElement, TPriority> queue, Func<TElement, TPriority, bool> isLive)
    {
        _queue = queue;
        _isLive = isLive;
    }

    /// <summary>No compaction while the heap holds this many entries or fewer; <see cref="int.MaxValue"/> turns it off (tests).</summary>
    public int Floor { get; set; } = DefaultFloor;

    /// <summary>Rebuilds done so far.</summary>
    public long Compactions { get; private set; }

    /// <summary>Call after an enqueue: compacts when the heap has outgrown its live entries.</summary>
    public void AfterEnqueue()
    {
        int count = _queue.Count;
        if (count > Floor && count > 2 * _liveAtLastCompaction)
            Compact();
    }

    /// <summary>Drops every stale entry now.</summary>
    public void Compact()
    {
        foreach ((TElement element, TPriority priority) in _queue.UnorderedItems)
        {
            if (_isLive(element, priority))
                _live.Add((element, priority));
        }
        _queue.Clear();
        _queue.EnqueueRange(_live);
        _liveAtLastCompaction = _live.Count;
        _live.Clear();
        Compactions++;
    }
}
