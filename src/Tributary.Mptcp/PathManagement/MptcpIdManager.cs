using System.Net;

namespace Tributary.Mptcp;

/// <summary>
/// Local address ids (1..255) of the path manager (mptcpd's <c>mptcpd_idm</c>, INVENTORY d.1): keyed by
/// IP only (port ignored), the lowest unused id for a new address. Two fixes over mptcpd: remapping an
/// address frees its old id (mptcpd leaked it), and an id is never shared by two addresses (the kernel
/// would refuse the second endpoint anyway). Thread-safe.
/// </summary>
public sealed class MptcpIdManager
{
    private readonly Dictionary<MptcpAddress, byte> _ids = [];
    private readonly MptcpAddress[] _owners = new MptcpAddress[256];
    private readonly Lock _lock = new();

    /// <summary>Addresses that have an id.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _ids.Count;
        }
    }

    /// <summary>The address's id, allocating the lowest unused one; 0 when all 255 are in use.</summary>
    public byte GetId(IPAddress address) => GetId(new MptcpAddress(address));

    /// <inheritdoc cref="GetId(IPAddress)"/>
    public byte GetId(MptcpAddress address)
    {
        if (address.IsNone)
            throw new ArgumentException("an address is required", nameof(address));
        MptcpAddress key = address.WithPort(0);
        lock (_lock)
        {
            if (_ids.TryGetValue(key, out byte id))
                return id;
            for (int i = 1; i <= 255; i++)
            {
                if (_owners[i].IsNone)
                {
                    _owners[i] = key;
                    _ids[key] = (byte)i;
                    return (byte)i;
                }
            }
            return 0;
        }
    }

    /// <summary>The address's id without allocating one; 0 when it has none.</summary>
    public byte FindId(MptcpAddress address)
    {
        lock (_lock)
            return _ids.TryGetValue(address.WithPort(0), out byte id) ? id : (byte)0;
    }

    /// <inheritdoc cref="FindId(MptcpAddress)"/>
    public byte FindId(IPAddress address) => FindId(new MptcpAddress(address));

    /// <summary>The address holding <paramref name="id"/>, or null.</summary>
    public IPAddress? FindAddress(byte id)
    {
        lock (_lock)
            return id == 0 ? null : _owners[id].ToIPAddress();
    }

    /// <summary>
    /// Binds <paramref name="address"/> to <paramref name="id"/> (the startup sync with the kernel's
    /// endpoints). False for id 0 or an id held by another address.
    /// </summary>
    public bool MapId(IPAddress address, byte id) => MapId(new MptcpAddress(address), id);

    /// <inheritdoc cref="MapId(IPAddress, byte)"/>
    public bool MapId(MptcpAddress address, byte id)
    {
        if (address.IsNone)
            throw new ArgumentException("an address is required", nameof(address));
        if (id == 0)
            return false;
        MptcpAddress key = address.WithPort(0);
        lock (_lock)
        {
            if (!_owners[id].IsNone && !_owners[id].SameAddress(key))
                return false;
            if (_ids.TryGetValue(key, out byte old) && old != id)
                _owners[old] = default;
            _owners[id] = key;
            _ids[key] = id;
            return true;
        }
    }

    /// <summary>Frees the address's id and returns it; 0 when it had none.</summary>
    public byte RemoveId(IPAddress address) => RemoveId(new MptcpAddress(address));

    /// <inheritdoc cref="RemoveId(IPAddress)"/>
    public byte RemoveId(MptcpAddress address)
    {
        MptcpAddress key = address.WithPort(0);
        lock (_lock)
        {
            if (!_ids.Remove(key, out byte id))
                return 0;
            _owners[id] = default;
            return id;
        }
    }
}
