namespace Tributary.Flows.Internal;

/// <summary>
/// Sorted, merged ranges of stream offsets received above rcv_nxt by a side without a receive buffer (DEVIATIONS
/// N4: sequence space is tracked independently of buffering). Pooled; used only once data arrives out of order.
/// </summary>
internal sealed class RangeSet
{
    private long[] _start = new long[4];
    private long[] _end = new long[4];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public long Start(int i) => _start[i];
    public long End(int i) => _end[i];

    public bool Overlaps(long start, long end)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_start[i] >= end)
                return false;
            if (_end[i] > start)
                return true;
        }
        return false;
    }

    /// <summary>Adds [start, end), merging touching ranges. Keeps at most <paramref name="limit"/> ranges (drops the highest).</summary>
    public void Add(long start, long end, int limit = 1024)
    {
        int i = 0;
        while (i < Count && _end[i] < start)
            i++;
        if (i == Count || _start[i] > end)
        {
            if (Count == limit)
            {
                if (i == Count)
                    return;
                Count--; // forget the highest range: hostile input cannot grow the set without bound
            }
            if (Count == _start.Length)
            {
                Array.Resize(ref _start, _start.Length * 2);
                Array.Resize(ref _end, _end.Length * 2);
            }
            Array.Copy(_start, i, _start, i + 1, Count - i);
            Array.Copy(_end, i, _end, i + 1, Count - i);
            _start[i] = start;
            _end[i] = end;
            Count++;
            return;
        }
        _start[i] = Math.Min(_start[i], start);
        long e = Math.Max(_end[i], end);
        int j = i + 1;
        while (j < Count && _start[j] <= e)
        {
            e = Math.Max(e, _end[j]);
            j++;
        }
        _end[i] = e;
        int removed = j - (i + 1);
        if (removed > 0)
        {
            Array.Copy(_start, j, _start, i + 1, Count - j);
            Array.Copy(_end, j, _end, i + 1, Count - j);
            Count -= removed;
        }
    }

    /// <summary>Removes the ranges starting at or below <paramref name="next"/> and returns the new contiguous end.</summary>
    public long Absorb(long next)
    {
        int k = 0;
        while (k < Count && _start[k] <= next)
        {
            next = Math.Max(next, _end[k]);
            k++;
        }
        if (k > 0)
        {
            Array.Copy(_start, k, _start, 0, Count - k);
            Array.Copy(_end, k, _end, 0, Count - k);
            Count -= k;
        }
        return next;
    }
}
