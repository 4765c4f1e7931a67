using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>
/// Open-addressing hash table from a directional 4-tuple to a flow side (mOS <c>fhash.c</c> keeps one entry per
/// stream as well). Linear probing, load ≤ 1/2, backward-shift deletion (no tombstones). The keys themselves
/// live in the flow records, which the lookup touches next anyway; a slot holds the hash and the side handle
/// <c>flow * 2 + side</c>.
/// </summary>
internal sealed class FlowTable
{
    private uint[] _hashes;
    private int[] _values;
    private int _mask;

    public FlowTable(int initialCapacity)
    {
        int cap = 64;
        while (cap < initialCapacity * 2)
            cap <<= 1;
        _hashes = new uint[cap];
        _values = new int[cap];
        _values.AsSpan().Fill(-1);
        _mask = cap - 1;
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in FlowKey key, uint hash, FlowRecord[] flows)
    {
        int i = (int)hash & _mask;
        while (true)
        {
            int v = _values[i];
            if (v < 0)
                return -1;
            if (_hashes[i] == hash)
            {
                ref FlowRecord f = ref flows[v >> 1];
                if ((v & 1) == 0 ? f.ClientKey.Equals(key) : f.ServerKey.Equals(key))
                    return v;
            }
            i = (i + 1) & _mask;
        }
    }

    public void Add(uint hash, int value)
    {
        if ((Count + 1) * 2 > _values.Length)
            Grow();
        int i = (int)hash & _mask;
        while (_values[i] >= 0)
            i = (i + 1) & _mask;
        _hashes[i] = hash;
        _values[i] = value;
        Count++;
    }

    public bool Remove(uint hash, int value)
    {
        int i = (int)hash & _mask;
        while (true)
        {
            int v = _values[i];
            if (v < 0)
                return false;
            if (v == value)
                break;
            i = (i + 1) & _mask;
        }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        int j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            if (_values[j] < 0)
                break;
            int home = (int)_hashes[j] & _mask;
            bool movable = j > i ? home <= i || home > j : home <= i && home > j;
            if (movable)
            {
                _hashes[i] = _hashes[j];
                _values[i] = _values[j];
                i = j;
            }
        }
        _values[i] = -1;
        Count--;
        return true;
    }

    private void Grow()
    {
        uint[] oldHashes = _hashes;
        int[] oldValues = _values;
        _hashes = new uint[oldHashes.Length * 2];
        _values = new int[oldValues.Length * 2];
        _values.AsSpan().Fill(-1);
        _mask = _values.Length - 1;
        for (int k = 0; k < oldValues.Length; k++)
        {
            if (oldValues[k] < 0)
                continue;
            int i = (int)oldHashes[k] & _mask;
            while (_values[i] >= 0)
                i = (i + 1) & _mask;
            _hashes[i] = oldHashes[k];
            _values[i] = oldValues[k];
        }
    }
}
