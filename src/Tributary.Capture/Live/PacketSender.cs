using System.Runtime.InteropServices;
using Tributary.Capture.Interop;

namespace Tributary.Capture.Live;

/// <summary>
/// Sends whole link-layer frames out of one interface through an AF_PACKET socket (bound with
/// protocol 0, so it receives nothing): the transmit half of an inline forwarder. Frames go out as
/// given (no checksum or MTU work: a frame above the MTU fails with EMSGSIZE, so disable GRO on a
/// forwarding path). Thread-safe.
/// </summary>
public sealed unsafe class PacketSender : IDisposable
{
    private int _fd;
    private long _sent, _dropped;

    private PacketSender(int fd, string name, int index)
    {
        _fd = fd;
        Name = name;
        InterfaceIndex = index;
    }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>The interface index.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Frames sent.</summary>
    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <summary>Frames the kernel refused for lack of queue space (<see cref="TrySend"/> returned false).</summary>
    public long PacketsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Opens <paramref name="interfaceName"/> for sending (needs CAP_NET_RAW).</summary>
    /// <param name="interfaceName">An Ethernet-like interface.</param>
    /// <param name="bypassQueueingDiscipline">PACKET_QDISC_BYPASS: hand frames straight to the driver (faster, no traffic shaping).</param>
    public static PacketSender Open(string interfaceName, bool bypassQueueingDiscipline = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        int index = (int)Libc.if_nametoindex(interfaceName);
        if (index == 0)
            throw new CaptureSystemException($"if_nametoindex({interfaceName})", Marshal.GetLastPInvokeError(), "no such interface");
        int fd = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new CaptureSystemException("socket(AF_PACKET)", Marshal.GetLastPInvokeError());
        try
        {
            var address = new sockaddr_ll { sll_family = Libc.AF_PACKET, sll_protocol = 0, sll_ifindex = index };
            if (Libc.bind(fd, &address, sizeof(sockaddr_ll)) < 0)
                throw new CaptureSystemException($"bind({interfaceName})", Marshal.GetLastPInvokeError());
            if (bypassQueueingDiscipline)
            {
                int one = 1;
                if (Libc.setsockopt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_QDISC_BYPASS, &one, sizeof(int)) < 0)
                    throw new CaptureSystemException("setsockopt(PACKET_QDISC_BYPASS)", Marshal.GetLastPInvokeError());
            }
            return new PacketSender(fd, interfaceName, index);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Sends a frame; throws <see cref="CaptureSystemException"/> on any failure.</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        if (!TrySend(frame))
            throw new CaptureSystemException($"send({Name})", Errno.ENOBUFS, "transmit queue full");
    }

    /// <summary>
    /// Sends a frame; false when the transmit queue is full (ENOBUFS/EAGAIN: the frame is dropped and
    /// counted). Other failures (interface down, frame above the MTU) throw <see cref="CaptureSystemException"/>.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (frame.IsEmpty)
            throw new ArgumentException("empty frame", nameof(frame));
        fixed (byte* p = frame)
        {
            while (true)
            {
                nint n = Libc.send(_fd, p, (nuint)frame.Length, 0);
                if (n >= 0)
                {
                    Interlocked.Increment(ref _sent);
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno is Errno.ENOBUFS or Errno.EAGAIN)
                {
                    Interlocked.Increment(ref _dropped);
                    return false;
                }
                throw new CaptureSystemException($"send({Name}, {frame.Length} bytes)", errno);
            }
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }
}
