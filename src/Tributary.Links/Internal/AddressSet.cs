using System.Collections;
using System.Net;

namespace Tributary.Links.Internal;

/// <summary>
/// An interface's addresses in order of appearance, stored as <see cref="AddressKey"/> values (no
/// object per address), with a hash index only once the set is large, and an <see cref="IPAddress"/>
/// view built lazily when someone reads it, and each address's latest <c>IFA_F_*</c> flags. Interfaces typically hold a handful of addresses, for
/// which a linear scan beats hashing; the index keeps bursts of thousands linear-time overall.
/// </summary>
internal sealed class AddressSet : IReadOnlyList<IPAddress>
{
    private const int IndexThreshold = 16;

    private readonly List<AddressKey> _keys = [];
    private readonly List<AddressFlags> _flags = [];
    private HashSet<AddressKey>? _index;
    private IPAddress[]? _view;

    public int Count => _keys.Count;

    public IPAddress this[int index] => View()[index];

    public bool Contains(AddressKey key) => _index?.Contains(key) ?? _keys.Contains(key);

    public void Add(AddressKey key, AddressFlags flags)
    {
        _keys.Add(key);
        _flags.Add(flags);
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
        _flags.RemoveAt(i);
        _view = null;
        return true;
    }

    /// <summary>The flags last seen for a member, or false when it is not one.</summary>
    public bool TryGetFlags(AddressKey key, out AddressFlags flags)
    {
        int i = _index is null || _index.Contains(key) ? _keys.IndexOf(key) : -1;
        flags = i >= 0 ? _flags[i] : AddressFlags.None;
        return i >= 0;
    }

    /// <summary>Records a member's new flags (a repeated RTM_NEWADDR); false when it is not one.</summary>
    public bool SetFlags(AddressKey key, AddressFlags flags)
    {
        int i = _index is null || _index.Contains(key) ? _keys.IndexOf(key) : -1;
        if (i >= 0)
            _flags[i] = flags;
        return i >= 0;
    }

    public void Clear()
    {
        _keys.Clear();
        _flags.Clear();
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
