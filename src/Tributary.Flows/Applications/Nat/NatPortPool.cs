namespace Tributary.Flows.Applications.Nat;

/// <summary>
/// The NAT's free ports, first free first: a ring taken at the head and refilled at the tail, as mOS's free list
/// (nat.c <c>g_free_pinfo</c>). A released port goes to the back, so a tuple is reused as late as possible and a
/// server still holding the previous connection's TIME_WAIT rarely sees it again. One context, one pool: there is no
/// per-core port selection (mOS's <c>GetRSSCPUCore</c>), since one thread sees both directions of every flow.
/// </summary>
internal sealed class NatPortPool
{
    private readonly ushort[] _ring;
    private readonly bool[] _taken;
    private readonly ushort _first;
    private int _head;
    private int _free;

    public NatPortPool(ushort first, ushort last)
    {
        if (first == 0 || last < first)
            throw new ArgumentOutOfRangeException(nameof(last), $"bad port range {first}..{last}");
        _first = first;
        _ring = new ushort[last - first + 1];
        _taken = new bool[_ring.Length];
        for (int i = 0; i < _ring.Length; i++)
            _ring[i] = (ushort)(first + i);
        _free = _ring.Length;
    }

    public int Capacity => _ring.Length;

    public int InUse => _ring.Length - _free;

    public bool TryTake(out ushort port)
    {
        if (_free == 0)
        {
            port = 0;
            return false;
        }
        port = _ring[_head];
        _head = (_head + 1) % _ring.Length;
        _free--;
        _taken[port - _first] = true;
        return true;
    }

    /// <summary>Returns a taken port; a port that is not taken is a bug in the caller (a double release would hand one port to two flows).</summary>
    public void Release(ushort port)
    {
        int i = port - _first;
        if (i < 0 || i >= _taken.Length || !_taken[i])
            throw new InvalidOperationException($"port {port} released but not taken");
        _taken[i] = false;
        _ring[(_head + _free) % _ring.Length] = port;
        _free++;
    }
}
