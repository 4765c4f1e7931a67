using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp;

/// <summary>
/// MPTCP listening sockets for addresses a userspace path manager announces (mptcpd's
/// <c>mptcpd_lm</c>, INVENTORY d.2): the peer can only join an announced address and port if
/// something listens there. Keyed by IP and port and reference-counted; port 0 binds an ephemeral
/// port, which <see cref="Listen"/> returns. Each listener makes the kernel emit LISTENER_CREATED /
/// LISTENER_CLOSED. Thread-safe.
/// </summary>
public sealed class MptcpListenerManager : IDisposable
{
    private readonly Dictionary<MptcpAddress, Entry> _listeners = [];
    private readonly Lock _lock = new();
    private readonly string? _networkNamespace;
    private bool _disposed;

    /// <param name="networkNamespace">Where the listening sockets are created (null: the process's own namespace).</param>
    public MptcpListenerManager(string? networkNamespace = null) => _networkNamespace = networkNamespace;

    /// <summary>Listening sockets currently open.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _listeners.Count;
        }
    }

    /// <summary>
    /// Listens on <paramref name="address"/> (or takes another reference to an existing listener) and
    /// returns the address with the port actually bound.
    /// </summary>
    /// <exception cref="ArgumentException">No address, or 0.0.0.0, :: or 255.255.255.255.</exception>
    /// <exception cref="SocketException">socket/bind/listen failed (EADDRNOTAVAIL when the address is not local).</exception>
    public MptcpAddress Listen(MptcpAddress address)
    {
        if (address.IsNone || address.IsUnboundAddress)
            throw new ArgumentException($"an MPTCP listener needs a specific local address, not {address}", nameof(address));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (address.Port != 0 && _listeners.TryGetValue(address, out Entry? e))
            {
                e.References++;
                return address;
            }
            Socket s = MptcpSocket.Create(address.Family, _networkNamespace);
            try
            {
                s.Bind(address.ToEndPoint()!);
                s.Listen(0); // as mptcpd: the socket only has to exist for MP_JOIN to find it
                var bound = (IPEndPoint)s.LocalEndPoint!;
                MptcpAddress key = address.WithPort((ushort)bound.Port);
                _listeners[key] = new Entry(s);
                return key;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }
    }

    /// <summary>Drops one reference; the socket closes with the last. False when nothing listens there (port 0 never matches).</summary>
    public bool Close(MptcpAddress address)
    {
        lock (_lock)
        {
            if (address.Port == 0 || !_listeners.TryGetValue(address, out Entry? e))
                return false;
            if (--e.References == 0)
            {
                _listeners.Remove(address);
                e.Socket.Dispose();
            }
            return true;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (Entry e in _listeners.Values)
                e.Socket.Dispose();
            _listeners.Clear();
        }
    }

    private sealed class Entry(Socket socket)
    {
        public Socket Socket { get; } = socket;

        public int References { get; set; } = 1;
    }
}
