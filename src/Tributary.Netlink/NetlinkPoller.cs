using System.Runtime.InteropServices;
using Tributary.Netlink.Interop;

namespace Tributary.Netlink;

/// <summary>
/// Waits for a netlink socket to become readable, for a timeout, or for another thread to call
/// <see cref="Wake"/> (an eventfd), whichever comes first. This is the core of an event-loop thread
/// that must also run timers and stop promptly.
/// </summary>
public sealed class NetlinkPoller : IDisposable
{
    private readonly NetlinkSocket _socket;
    private readonly int _eventFd;
    private int _disposed;

    public NetlinkPoller(NetlinkSocket socket)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _eventFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
            throw new NetlinkException(Marshal.GetLastPInvokeError(), null, "eventfd");
    }

    /// <summary>What ended a <see cref="Wait"/>.</summary>
    public enum Result
    {
        Readable,
        Timeout,
        Woken,
    }

    /// <summary>Blocks until the socket is readable, <paramref name="timeoutMilliseconds"/> pass (-1: no limit), or <see cref="Wake"/> is called.</summary>
    public unsafe Result Wait(int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = _socket.FileDescriptor, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = _eventFd, events = Libc.POLLIN };
        while (true)
        {
            int r = Libc.poll(fds, 2, timeoutMilliseconds);
            if (r < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                throw new NetlinkException(errno, null, "poll");
            }
            if (r == 0)
                return Result.Timeout;
            if (fds[1].revents != 0)
            {
                ulong value;
                Libc.read(_eventFd, &value, sizeof(ulong));
                return Result.Woken;
            }
            return Result.Readable;
        }
    }

    /// <summary>Makes a pending or the next <see cref="Wait"/> return <see cref="Result.Woken"/>. Safe from any thread.</summary>
    public unsafe void Wake()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        ulong one = 1;
        Libc.write(_eventFd, &one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Libc.close(_eventFd);
    }
}
