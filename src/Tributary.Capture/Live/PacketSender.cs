using System.Buffers;
using System.Runtime.InteropServices;
using Tributary.Capture.Decoding;
using Tributary.Capture.Interop;

namespace Tributary.Capture.Live;

/// <summary>
/// Sends whole link-layer frames out of one interface through an AF_PACKET socket (bound with
/// protocol 0, so it receives nothing): the transmit half of an inline forwarder. Frames go out as
/// given, except a super-frame whose IP packet is larger than the interface's MTU (a sender's TSO/GSO
/// frame that crossed a veth, or a GRO merge on the receiving interface): the link would refuse it
/// (EMSGSIZE), so TCP is cut into segments that fit (<see cref="TcpSegmentation"/>), and UDP GSO into
/// the sender's datagrams when their size is known (<see cref="UdpSegmentation"/>), as the kernel does
/// when it forwards one. Other frames above the MTU are dropped and counted. Thread-safe.
/// </summary>
public sealed unsafe class PacketSender : IDisposable
{
    private int _fd;
    private long _sent, _dropped, _segmented, _oversized;
    private int _mtu;
    private readonly LinkType? _linkType;
    private readonly int _linkHeaderLength;

    private PacketSender(int fd, string name, int index, int mtu, LinkType? linkType)
    {
        _fd = fd;
        Name = name;
        InterfaceIndex = index;
        _mtu = mtu;
        _linkType = linkType;
        _linkHeaderLength = linkType == LinkType.Ethernet ? 14 : 0;
    }

    private enum Outcome { Sent, QueueFull, TooBig }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>The interface index.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Frames sent.</summary>
    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <summary>Frames the kernel refused for lack of queue space (<see cref="TrySend"/> returned false).</summary>
    public long PacketsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Super-frames that went out as several segments or datagrams (each counted in <see cref="PacketsSent"/>).</summary>
    public long PacketsSegmented => Interlocked.Read(ref _segmented);

    /// <summary>
    /// Frames above the MTU that could not be segmented (neither TCP nor UDP with a known segment size, SYN or RST, IP
    /// fragments, cut short), dropped.
    /// </summary>
    public long PacketsOversized => Interlocked.Read(ref _oversized);

    /// <summary>The interface's MTU as last read (at open, and again whenever the kernel refuses a frame as too long).</summary>
    public int Mtu => Volatile.Read(ref _mtu);

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
            LinkType? linkType;
            try
            {
                linkType = InterfaceInfo.LinkTypeOf(fd, interfaceName, out _);
            }
            catch (CaptureSystemException e) when (e.Errno == Errno.EINVAL)
            {
                linkType = null;   // a link type the decoder does not know: frames are sent, never segmented
            }
            return new PacketSender(fd, interfaceName, index, InterfaceInfo.MtuOf(fd, interfaceName), linkType);
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
        long oversized = PacketsOversized;
        if (!TrySend(frame))
        {
            throw PacketsOversized != oversized
                ? new CaptureSystemException($"send({Name}, {frame.Length} bytes)", Errno.EMSGSIZE, $"above the MTU ({Mtu}) and not a super-frame that can be split")
                : new CaptureSystemException($"send({Name})", Errno.ENOBUFS, "transmit queue full");
        }
    }

    /// <summary>
    /// Sends a frame, splitting a TCP super-frame above the MTU into segments; false when (part of) it was dropped:
    /// the transmit queue was full (ENOBUFS/EAGAIN, <see cref="PacketsDropped"/>) or it is above the MTU and cannot be
    /// split (<see cref="PacketsOversized"/>). Other failures (interface down) throw <see cref="CaptureSystemException"/>.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> frame) => TrySend(frame, 0);

    /// <summary>
    /// As <see cref="TrySend(ReadOnlySpan{byte})"/> for a super-frame whose sender's segment size is known
    /// (<see cref="Packet.SegmentSize"/>, 0: unknown): TCP is cut at that size (or the MTU, if smaller), and a UDP GSO
    /// datagram is cut back into the sender's datagrams (<see cref="UdpSegmentation"/>) instead of being dropped.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> frame, int segmentSize)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (frame.IsEmpty)
            throw new ArgumentException("empty frame", nameof(frame));
        // A super-frame (segment size known) may need cutting even within the MTU: a UDP GSO batch of small datagrams.
        if (frame.Length > Volatile.Read(ref _mtu) + _linkHeaderLength || segmentSize > 0)
            return SendOversized(frame, segmentSize);
        switch (SendOne(frame))
        {
            case Outcome.Sent:
                return true;
            case Outcome.QueueFull:
                return false;
            default:
                // The MTU went down since it was read.
                int mtu = InterfaceInfo.MtuOf(_fd, Name);
                Volatile.Write(ref _mtu, mtu);
                if (frame.Length > mtu + _linkHeaderLength)
                    return SendOversized(frame, segmentSize);
                Interlocked.Increment(ref _oversized);
                return false;
        }
    }

    private bool SendOversized(ReadOnlySpan<byte> frame, int segmentSize) // above the MTU, or a super-frame
    {
        int mtu = Volatile.Read(ref _mtu);
        bool fits = frame.Length <= mtu + _linkHeaderLength;
        if (_linkType is not LinkType linkType)
            return fits ? SendWhole(frame) : Refuse();
        PacketDecoder.Decode(frame, linkType, frame.Length, out DecodedPacket packet);
        // The sender's UDP datagrams, however small: sent as one they would reach the receiver as one datagram.
        bool udpBatch = segmentSize > 0 && packet.IsUdp && packet.IpPayloadLength - 8 > segmentSize;
        if (!udpBatch && (packet.IpVersion != 0 ? packet.IpTotalLength <= mtu : fits))
            return SendWhole(frame); // longer than MTU + link header only through VLAN tags, which the kernel allows for
        bool tcp = packet.IsTcp;
        // TCP: at the sender's segment size when known (what its NIC would have sent), never above the MTU.
        int tcpMtu = segmentSize > 0 ? Math.Min(mtu, packet.IpHeaderLength + packet.TcpHeaderLength + segmentSize) : mtu;
        int count = tcp ? TcpSegmentation.SegmentCount(packet, tcpMtu) : UdpSegmentation.SegmentCount(packet, segmentSize, mtu);
        if (count == 0)
            return Refuse();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(tcp
            ? TcpSegmentation.MaxSegmentLength(packet, tcpMtu)
            : UdpSegmentation.MaxSegmentLength(packet, segmentSize));
        try
        {
            bool all = true;
            for (int i = 0; i < count; i++)
            {
                int length = tcp
                    ? TcpSegmentation.WriteSegment(packet, tcpMtu, i, buffer)
                    : UdpSegmentation.WriteSegment(packet, segmentSize, mtu, i, buffer);
                Outcome outcome = SendOne(buffer.AsSpan(0, length));
                if (outcome == Outcome.TooBig)
                    return Refuse();
                all &= outcome == Outcome.Sent;
            }
            Interlocked.Increment(ref _segmented);
            return all;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool SendWhole(ReadOnlySpan<byte> frame)
    {
        Outcome outcome = SendOne(frame);
        return outcome == Outcome.Sent || (outcome == Outcome.TooBig ? Refuse() : false);
    }

    private bool Refuse()
    {
        Interlocked.Increment(ref _oversized);
        return false;
    }

    private Outcome SendOne(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            while (true)
            {
                nint n = Libc.send(_fd, p, (nuint)frame.Length, 0);
                if (n >= 0)
                {
                    Interlocked.Increment(ref _sent);
                    return Outcome.Sent;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno is Errno.ENOBUFS or Errno.EAGAIN)
                {
                    Interlocked.Increment(ref _dropped);
                    return Outcome.QueueFull;
                }
                if (errno == Errno.EMSGSIZE)
                    return Outcome.TooBig;
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
