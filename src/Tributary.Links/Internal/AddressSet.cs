using System.Collections;
using System.Net;

namespace Tributary.Links.Internal;

/// <summary>
/// An interface's addresses in order of appearance, stored as <see cref="AddressKey"/> values (no
/// object per address), with a hash index only once the set is large, and an <see cref="IPAddress"/>
/// view built lazily when someone reads it. Interfaces typically hold a handful of addresses, for
/// which a linear scan beats hashing; the index keeps bursts of thousands linear-time overall.
/// </summary>
internal sealed class AddressSet : IReadOnlyList<IPAddress>
{
    private const int IndexThreshold = 16;

    private readonly List<AddressKey> _keys = [];
    private HashSet<AddressKey>? _index;
    private IPAddress[]? _view;

    public int Count => _keys.Count;

    public IPAddress this[int index] => View()[index];

    public bool Contains(AddressKey key) => _index?.Contains(key) ?? _keys.Contains(key);

    public void Add(AddressKey key)
    {
        _keys.Add(key);
        _index?.Add(key);
        if (_index is null && _keys.Count > IndexThreshold)
            _index = [.. _keys];
        _view = null;
    }

    public bool Remove(AddressKey key)
    {
        if (_index is not null && !_index.Remove(key))
            return false;
        int i = _keys.IndexOf(key);
        if (i < 0)
            return false;
        _keys.RemoveAt(i);
        _view = null;
        return true;
    }

    public void Clear()
    {
        _keys.Clear();
        _index = null;
        _view = null;
    }

    /// <summary>A copy of the keys, for diffing while the set changes.</summary>
    public AddressKey[] KeysSnapshot() => [.. _keys];

    public IEnumerator<IPAddress> GetEnumerator() => ((IEnumerable<IPAddress>)View()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IPAddress[] View()
    {
        if (_view is null)
        {
            var v = new IPAddress[_keys.Count];
            for (int i = 0; i < v.Length; i++)
                v[i] = _keys[i].ToIPAddress();
            _view = v;
        }
        return _view;
    }
}
