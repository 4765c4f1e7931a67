namespace Tributary.Flows.Internal;

/// <summary>
/// One side's receive buffer: a byte ring of fixed capacity addressed by logical stream offsets (0 = the first
/// byte after the peer's ISN) and mOS's fragment list (<c>tcp_rb.c</c>, INVENTORY §9). <see cref="Head"/> is
/// the oldest byte kept, <see cref="Pile"/> the end of the contiguous data before the current write (advanced at
/// the start of each write, never by peeking); writing past head + capacity fast-forwards the head, but never past
/// the pile. Overlap policy FIRST keeps stored bytes, LAST overwrites them.
/// </summary>
internal sealed class ReceiveBuffer
{
    private readonly byte[] _ring;
    private long[] _fragHead = new long[4];
    private long[] _fragTail = new long[4];

    public ReceiveBuffer(int capacity) => _ring = GC.AllocateUninitializedArray<byte>(capacity);

    public int Capacity => _ring.Length;
    public long Head { get; private set; }
    public long Pile { get; private set; }
    public int FragmentCount { get; private set; }
    public OverlapPolicy Policy { get; set; }

    public long FragmentHead(int i) => _fragHead[i];
    public long FragmentTail(int i) => _fragTail[i];

    public void Reset()
    {
        Head = 0;
        Pile = 0;
        FragmentCount = 0;
        Policy = OverlapPolicy.First;
    }

    /// <summary>True when the first fragment starts at the head (mOS "contiguous fragment").</summary>
    private bool HasContiguousFragment => FragmentCount > 0 && _fragHead[0] == Head;

    /// <summary>Bytes of the contiguous fragment beyond the pile (mOS <c>tcprb_cflen</c>).</summary>
    public long ContiguousLengthFromPile => HasContiguousFragment ? _fragTail[0] - Pile : 0;

    /// <summary>End of the contiguous data (mOS's "next byte expected" = pile + cflen).</summary>
    public long ContiguousEnd => Pile + ContiguousLengthFromPile;

    /// <summary>End of the last fragment (mOS's "last byte received"), or the head when empty.</summary>
    public long LastReceived => FragmentCount > 0 ? _fragTail[FragmentCount - 1] : Head;

    /// <summary>mOS <c>tcprb_setpile</c>: move the pile within the contiguous fragment.</summary>
    public bool SetPile(long value)
    {
        if (value > Head + Capacity || value < Head || !HasContiguousFragment || value > _fragTail[0])
            return false;
        Pile = value;
        return true;
    }

    /// <summary>How far the head would move for a write ending at <paramref name="end"/> (mOS <c>tcprb_fflen</c>).</summary>
    public long FastForwardNeeded(long end)
    {
        long ff = end - (Head + Capacity);
        if (ff <= 0 || !HasContiguousFragment)
            return 0;
        long cflen = _fragTail[0] - _fragHead[0];
        return Math.Min(Math.Min(ff, cflen), Pile - Head);
    }

    /// <summary>mOS <c>tcprb_ffhead</c>: drop the oldest bytes of the contiguous fragment, head ≤ pile.</summary>
    private long FastForwardHead(long ff)
    {
        if (ff <= 0 || !HasContiguousFragment)
            return 0;
        long cflen = _fragTail[0] - _fragHead[0];
        long moved = Math.Min(Math.Min(ff, cflen), Pile - Head);
        if (moved == cflen)
            RemoveFragment(0);
        else
            _fragHead[0] += moved;
        Head += moved;
        return moved;
    }

    /// <summary>
    /// mOS <c>tcprb_pwrite</c>: stores <paramref name="data"/> at logical offset <paramref name="off"/>; returns the
    /// bytes accounted for, or -1 when the offset lies outside [head, pile + capacity).
    /// </summary>
    public int Write(ReadOnlySpan<byte> data, long off)
    {
        int len = data.Length;
        if (off < Head || off >= Pile + Capacity)
            return -1;
        if (len == 0)
            return 0;
        if (off + len < Pile)
            return len; // already written (mOS: strictly before the pile)
        long ff = off + len - (Head + Capacity);
        if (ff > 0)
            len -= (int)(ff - FastForwardHead(ff));
        if (len <= 0)
            return 0;
        long end = off + len;
        // Copy: new bytes always, bytes already held only with policy LAST.
        long pos = off;
        for (int i = 0; i < FragmentCount && pos < end; i++)
        {
            long fh = _fragHead[i], ft = _fragTail[i];
            if (ft <= pos)
                continue;
            if (fh >= end)
                break;
            if (fh > pos)
                CopyIn(data.Slice((int)(pos - off), (int)(fh - pos)), pos);
            long overlapEnd = Math.Min(ft, end);
            long overlapStart = Math.Max(fh, pos);
            if (Policy == OverlapPolicy.Last && overlapEnd > overlapStart)
                CopyIn(data.Slice((int)(overlapStart - off), (int)(overlapEnd - overlapStart)), overlapStart);
            pos = overlapEnd;
        }
        if (pos < end)
            CopyIn(data.Slice((int)(pos - off)), pos);
        AddRange(off, end);
        return len;
    }

    private void CopyIn(ReadOnlySpan<byte> src, long off)
    {
        int cap = _ring.Length;
        int start = (int)(off % cap);
        int first = Math.Min(src.Length, cap - start);
        src[..first].CopyTo(_ring.AsSpan(start));
        if (first < src.Length)
            src[first..].CopyTo(_ring);
    }

    /// <summary>Copies bytes [off, off + dest.Length) out of the ring (the caller checked they are held).</summary>
    public void CopyOut(long off, Span<byte> dest)
    {
        int cap = _ring.Length;
        int start = (int)(off % cap);
        int first = Math.Min(dest.Length, cap - start);
        _ring.AsSpan(start, first).CopyTo(dest);
        if (first < dest.Length)
            _ring.AsSpan(0, dest.Length - first).CopyTo(dest[first..]);
    }

    /// <summary>The fragment containing <paramref name="off"/>, or -1.</summary>
    public int FindFragment(long off)
    {
        for (int i = 0; i < FragmentCount; i++)
        {
            if (off < _fragHead[i])
                return -1;
            if (off < _fragTail[i])
                return i;
        }
        return -1;
    }

    /// <summary>True when [off, end) overlaps a held fragment (mOS <c>tcp_rb_overlapchk</c>).</summary>
    public bool Overlaps(long off, long end)
    {
        for (int i = 0; i < FragmentCount; i++)
        {
            if (_fragHead[i] >= end)
                return false;
            if (_fragTail[i] > off)
                return true;
        }
        return false;
    }

    /// <summary>Inserts [start, end) into the sorted fragment list, merging overlapping and adjacent fragments.</summary>
    private void AddRange(long start, long end)
    {
        int i = 0;
        while (i < FragmentCount && _fragTail[i] < start)
            i++;
        if (i == FragmentCount || _fragHead[i] > end)
        {
            InsertFragment(i, start, end);
            return;
        }
        // Fragment i touches or overlaps [start, end): grow it and swallow followers it now reaches.
        _fragHead[i] = Math.Min(_fragHead[i], start);
        long tail = Math.Max(_fragTail[i], end);
        int j = i + 1;
        while (j < FragmentCount && _fragHead[j] <= tail)
        {
            tail = Math.Max(tail, _fragTail[j]);
            j++;
        }
        _fragTail[i] = tail;
        int removed = j - (i + 1);
        if (removed > 0)
        {
            Array.Copy(_fragHead, j, _fragHead, i + 1, FragmentCount - j);
            Array.Copy(_fragTail, j, _fragTail, i + 1, FragmentCount - j);
            FragmentCount -= removed;
        }
    }

    private void InsertFragment(int i, long head, long tail)
    {
        if (FragmentCount == _fragHead.Length)
        {
            Array.Resize(ref _fragHead, _fragHead.Length * 2);
            Array.Resize(ref _fragTail, _fragTail.Length * 2);
        }
        Array.Copy(_fragHead, i, _fragHead, i + 1, FragmentCount - i);
        Array.Copy(_fragTail, i, _fragTail, i + 1, FragmentCount - i);
        _fragHead[i] = head;
        _fragTail[i] = tail;
        FragmentCount++;
    }

    private void RemoveFragment(int i)
    {
        Array.Copy(_fragHead, i + 1, _fragHead, i, FragmentCount - i - 1);
        Array.Copy(_fragTail, i + 1, _fragTail, i, FragmentCount - i - 1);
        FragmentCount--;
    }
}
