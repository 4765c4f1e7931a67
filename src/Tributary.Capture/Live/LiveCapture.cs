using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Tributary.Capture.Filters;
using Tributary.Capture.Interop;

namespace Tributary.Capture.Live;

/// <summary>
/// Live capture from one interface with an AF_PACKET socket and a TPACKET_V3 memory-mapped ring
/// (reference/dotnet/FEASIBILITY.md §3.2–3.3: ~10–30 ns per packet in user space, no system call per
/// packet). Packets are spans into the ring and stay valid until the next read; the ring block is
/// handed back to the kernel once all its packets have been read. An optional tcpdump filter runs in
/// the kernel. The socket lives in the network namespace of the thread that calls <see cref="Open"/>.
/// </summary>
public sealed unsafe class LiveCapture : PacketSource
{
    private const int PageSize = 4096;
    private const int FrameSize = 2048;     // unused by TPACKET_V3 but must divide the block size
    private const int VlanTagLength = 4;
    /// <summary>The LINKTYPE_LINUX_SLL2 header put in front of each packet of the <see cref="AnyDevice"/>.</summary>
    private const int Sll2HeaderLength = 20;

    /// <summary>tcpdump's pseudo-device for every interface of the namespace, captured in cooked form (LINUX_SLL2).</summary>
    public const string AnyDevice = "any";
    private static readonly int SockaddrOffset = (sizeof(tpacket3_hdr) + IfPacket.TPACKET_ALIGNMENT - 1) & ~(IfPacket.TPACKET_ALIGNMENT - 1);

    private readonly string _name;
    private readonly CaptureInterface[] _interfaces;
    private readonly LinkType _linkType;
    private readonly bool _reinsertVlan;
    private readonly bool _segmentSizes;
    private readonly bool _ignoreOutgoing;
    private readonly bool _any;
    private readonly int _blockSize;
    private readonly int _blockCount;
    private readonly Lock _statsLock = new();
    private int _fd = -1;
    private int _eventFd = -1;
    private byte* _ring;
    private nuint _ringSize;

    private int _block;          // current ring block
    private bool _held;          // current block is ours (TP_STATUS_USER) until all its packets are read
    private uint _left;          // packets left in the held block
    private byte* _next;         // next tpacket3_hdr in the held block
    private volatile bool _stopped;
    private readonly int _blockTimeoutMilliseconds;
    private long _drainUntil;    // after Stop: when the wait for the ring's last block ends (TickCount64), 0 before
    private long _received, _dropped, _freezes;

    private LiveCapture(string name, int interfaceIndex, LinkType linkType, bool loopback, LiveCaptureOptions options)
    {
        _name = name;
        InterfaceIndex = interfaceIndex;
        _linkType = linkType;
        _reinsertVlan = options.ReinsertVlanTags && linkType == LinkType.Ethernet;
        _segmentSizes = options.SegmentSizes;
        // A loopback device hands a packet socket every packet twice, as sent and as received: the sent copy is
        // dropped in the kernel (libpcap drops it in user space), so each packet is seen once, as tcpdump sees it.
        _ignoreOutgoing = options.IgnoreOutgoing || loopback;
        _any = linkType == LinkType.LinuxSll2;
        _blockSize = options.BlockSize;
        _blockCount = options.BlockCount;
        _blockTimeoutMilliseconds = options.BlockTimeoutMilliseconds;
        _interfaces = [new CaptureInterface(0, linkType, options.SnapLength, name, null, 1_000_000_000UL)];
    }

    public override string Name => _name;

    public override IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    public override bool IsLive => true;

    /// <summary>The interface index (in the socket's network namespace).</summary>
    public int InterfaceIndex { get; }

    /// <summary>The link type of captured frames (Ethernet for Ethernet-like and loopback devices, raw IP for tun/PPP).</summary>
    public LinkType LinkType => _linkType;

    /// <summary>The socket's file descriptor (for poll/epoll integration).</summary>
    public int FileDescriptor => _fd;

    /// <summary>Opens <paramref name="interfaceName"/> for capture (needs CAP_NET_RAW).</summary>
    /// <exception cref="CaptureSystemException">A system call failed (no such interface, no permission, ring too large …).</exception>
    /// <exception cref="FilterException">The filter expression does not compile.</exception>
    public static LiveCapture Open(string interfaceName, LiveCaptureOptions? options = null) => Open(interfaceName, options, fanout: null);

    /// <summary>
    /// Opens <paramref name="count"/> captures of <paramref name="interfaceName"/> that share its packets by flow: one
    /// AF_PACKET fanout group in hash mode (PACKET_FANOUT_HASH) whose id the kernel picks (PACKET_FANOUT_FLAG_UNIQUEID,
    /// so no other program's group is joined by accident). The kernel's flow hash is symmetric, so both directions of
    /// a connection reach the same capture: one monitoring context per capture and thread, as mOS runs one stack per
    /// core behind a NIC's receive-side scaling. Every packet reaches exactly one capture: each socket drops everything
    /// until it has joined the group, so none is seen twice while the group forms. Fragments are delivered as they
    /// are (no defragmentation for the hash), so the captures hold the same bytes as one <see cref="Open(string, LiveCaptureOptions?)"/>.
    /// </summary>
    /// <exception cref="CaptureSystemException">A system call failed (as <see cref="Open(string, LiveCaptureOptions?)"/>).</exception>
    public static LiveCapture[] OpenGroup(string interfaceName, int count, LiveCaptureOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var group = new List<LiveCapture>(count);
        try
        {
            for (int i = 0; i < count; i++)
                group.Add(Open(interfaceName, options, fanout: i == 0 ? -1 : group[0].FanoutGroup));
            return [.. group];
        }
        catch
        {
            foreach (LiveCapture c in group)
                c.Dispose();
            throw;
        }
    }

    /// <summary>The id of the fanout group this capture shares its interface's packets in (<see cref="OpenGroup"/>), or -1.</summary>
    public int FanoutGroup { get; private set; } = -1;

    /// <param name="fanout">Null: no group; -1: a new group with an id the kernel picks; otherwise the group to join.</param>
    private static LiveCapture Open(string interfaceName, LiveCaptureOptions? options, int? fanout)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        options ??= new LiveCaptureOptions();
        Validate(options);
        // "any" (unless an interface has that name): every interface, through a cooked socket bound to none, whose
        // packets start at the network header; each gets the LINUX_SLL2 header libpcap gives it.
        int index = (int)Libc.if_nametoindex(interfaceName);
        bool any = index == 0 && interfaceName == AnyDevice;
        if (index == 0 && !any)
            throw new CaptureSystemException($"if_nametoindex({interfaceName})", Marshal.GetLastPInvokeError(), "no such interface");
        int fd = Libc.socket(Libc.AF_PACKET, (any ? Libc.SOCK_DGRAM : Libc.SOCK_RAW) | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new CaptureSystemException("socket(AF_PACKET)", Marshal.GetLastPInvokeError());
        LiveCapture? capture = null;
        try
        {
            bool loopback = false;
            LinkType linkType = any ? LinkType.LinuxSll2 : InterfaceInfo.LinkTypeOf(fd, interfaceName, out loopback);
            capture = new LiveCapture(interfaceName, index, linkType, loopback, options) { _fd = fd };
            capture.Setup(options, fanout);
            return capture;
        }
        catch
        {
            if (capture is not null)
                capture.Dispose();
            else
                Libc.close(fd);
            throw;
        }
    }

    private static void Validate(LiveCaptureOptions o)
    {
        if (o.BlockSize < PageSize || (o.BlockSize & (o.BlockSize - 1)) != 0)
            throw new ArgumentException($"BlockSize must be a power of two of at least {PageSize} bytes", nameof(o));
        if (o.BlockCount < 1)
            throw new ArgumentException("BlockCount must be positive", nameof(o));
        if ((long)o.BlockSize * o.BlockCount > int.MaxValue)
            throw new ArgumentException("the ring (BlockSize × BlockCount) must stay below 2 GiB", nameof(o));
        if (o.BlockTimeoutMilliseconds < 0)
            throw new ArgumentException("BlockTimeoutMilliseconds must not be negative", nameof(o));
        if (o.SnapLength <= 0)
            throw new ArgumentException("SnapLength must be positive", nameof(o));
    }

    private void Setup(LiveCaptureOptions o, int? fanout)
    {
        // libpcap's order: version, reserve, ring, map, filter, then bind (the socket was opened with
        // protocol 0, so nothing is queued before the bind and the filter sees every packet).
        SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_VERSION, IfPacket.TPACKET_V3, "PACKET_VERSION");
        if (o.SegmentSizes)
            SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");   // before the ring
        if (_reinsertVlan)
            SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_RESERVE, VlanTagLength, "PACKET_RESERVE");
        else if (_any)
            SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_RESERVE, Sll2HeaderLength, "PACKET_RESERVE");
        var req = new tpacket_req3
        {
            tp_block_size = (uint)_blockSize,
            tp_block_nr = (uint)_blockCount,
            tp_frame_size = FrameSize,
            tp_frame_nr = (uint)(_blockSize / FrameSize * _blockCount),
            tp_retire_blk_tov = (uint)o.BlockTimeoutMilliseconds,
        };
        if (Libc.setsockopt(_fd, IfPacket.SOL_PACKET, IfPacket.PACKET_RX_RING, &req, sizeof(tpacket_req3)) < 0)
            throw new CaptureSystemException("setsockopt(PACKET_RX_RING)", Marshal.GetLastPInvokeError(),
                $"{_blockCount} blocks of {_blockSize} bytes");
        _ringSize = (nuint)_blockSize * (nuint)_blockCount;
        void* ring = Libc.mmap(null, _ringSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, _fd, 0);
        if (ring == (void*)-1)
            throw new CaptureSystemException("mmap(ring)", Marshal.GetLastPInvokeError());
        _ring = (byte*)ring;

        // A cooked socket's filter sees the packet from its network header on: compiled as for raw IP.
        BpfProgram? program = o.FilterProgram
            ?? (o.Filter is not null ? BpfProgram.Compile(o.Filter, _any ? LinkType.Raw : _linkType, o.SnapLength) : null)
            ?? (o.SnapLength < BpfProgram.DefaultSnapLength
                ? new BpfProgram([new BpfInstruction(0x06, 0, 0, (uint)o.SnapLength)]) // ret #snaplen: the kernel cuts the rest
                : null);
        if (fanout is not null)
            AttachFilter(DropAll); // until the socket is in its group: what it took before would also reach another
        else if (program is not null)
            AttachFilter(program);
        if (_ignoreOutgoing)
            SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");

        var address = new sockaddr_ll
        {
            sll_family = Libc.AF_PACKET,
            sll_protocol = Libc.Htons(Libc.ETH_P_ALL),
            sll_ifindex = InterfaceIndex,
        };
        if (Libc.bind(_fd, &address, sizeof(sockaddr_ll)) < 0)
            throw new CaptureSystemException($"bind({_name})", Marshal.GetLastPInvokeError());
        if (o.Promiscuous && !_any) // as libpcap: the any device has no promiscuous mode
        {
            var mreq = new packet_mreq { mr_ifindex = InterfaceIndex, mr_type = IfPacket.PACKET_MR_PROMISC };
            if (Libc.setsockopt(_fd, IfPacket.SOL_PACKET, IfPacket.PACKET_ADD_MEMBERSHIP, &mreq, sizeof(packet_mreq)) < 0)
                throw new CaptureSystemException("setsockopt(PACKET_ADD_MEMBERSHIP)", Marshal.GetLastPInvokeError());
        }
        if (fanout is not null)
        {
            JoinFanout(fanout.Value, _ignoreOutgoing);
            if (program is not null)
                AttachFilter(program);
            else
                SetOption(Libc.SOL_SOCKET, Filter.SO_DETACH_FILTER, 0, "SO_DETACH_FILTER");
        }
        _eventFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
            throw new CaptureSystemException("eventfd", Marshal.GetLastPInvokeError());
    }

    /// <summary>LINKTYPE_LINUX_SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, address.</summary>
    private static void WriteSll2Header(byte* header, sockaddr_ll* address)
    {
        var h = new Span<byte>(header, Sll2HeaderLength);
        Unsafe.WriteUnaligned(header, address->sll_protocol); // already in network byte order
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], 0);
        BinaryPrimitives.WriteInt32BigEndian(h[4..], address->sll_ifindex);
        BinaryPrimitives.WriteUInt16BigEndian(h[8..], address->sll_hatype);
        h[10] = address->sll_pkttype;
        h[11] = address->sll_halen;
        for (int i = 0; i < 8; i++)
            h[12 + i] = address->sll_addr[i];
    }

    /// <summary><c>ret #0</c>: every packet refused.</summary>
    private static readonly BpfProgram DropAll = new([new BpfInstruction(0x06, 0, 0, 0)]);

    /// <summary>Joins fanout group <paramref name="id"/> in hash mode (the socket must be bound); -1 makes a new group.</summary>
    private void JoinFanout(int id, bool ignoreOutgoing)
    {
        int flags = IfPacket.PACKET_FANOUT_HASH | (id < 0 ? IfPacket.PACKET_FANOUT_FLAG_UNIQUEID : 0)
            | (ignoreOutgoing ? IfPacket.PACKET_FANOUT_FLAG_IGNORE_OUTGOING : 0);
        SetOption(IfPacket.SOL_PACKET, IfPacket.PACKET_FANOUT, (id < 0 ? 0 : id) | flags << 16, "PACKET_FANOUT");
        int value = 0, length = sizeof(int);
        if (Libc.getsockopt(_fd, IfPacket.SOL_PACKET, IfPacket.PACKET_FANOUT, &value, &length) < 0)
            throw new CaptureSystemException("getsockopt(PACKET_FANOUT)", Marshal.GetLastPInvokeError());
        FanoutGroup = value & 0xFFFF;
    }

    private void AttachFilter(BpfProgram program)
    {
        ReadOnlySpan<BpfInstruction> instructions = program.Instructions;
        fixed (BpfInstruction* insns = instructions)
        {
            var fprog = new sock_fprog { len = (ushort)instructions.Length, filter = (sock_filter*)insns };
            if (Libc.setsockopt(_fd, Libc.SOL_SOCKET, Filter.SO_ATTACH_FILTER, &fprog, sizeof(sock_fprog)) < 0)
                throw new CaptureSystemException("setsockopt(SO_ATTACH_FILTER)", Marshal.GetLastPInvokeError());
        }
    }

    private void SetOption(int level, int name, int value, string what)
    {
        if (Libc.setsockopt(_fd, level, name, &value, sizeof(int)) < 0)
            throw new CaptureSystemException($"setsockopt({what})", Marshal.GetLastPInvokeError());
    }

    public override bool TryReadNext(out Packet packet) => Read(out packet, -1) == PacketReadResult.Packet;

    public override PacketReadResult Read(out Packet packet, int timeoutMilliseconds)
    {
        ThrowIfDisposed();
        long deadline = timeoutMilliseconds > 0 ? Environment.TickCount64 + timeoutMilliseconds : 0;
        while (true)
        {
            if (_left > 0)
            {
                var h = (tpacket3_hdr*)_next;
                _next += h->tp_next_offset;
                _left--;
                byte* data = (byte*)h + h->tp_mac;
                int captured = (int)h->tp_snaplen;
                int length = (int)h->tp_len;
                // struct sockaddr_ll follows the header at TPACKET_ALIGN(sizeof(tpacket3_hdr)) (packet_mmap.rst).
                var address = (sockaddr_ll*)((byte*)h + SockaddrOffset);
                var flags = address->sll_pkttype == IfPacket.PACKET_OUTGOING ? PacketFlags.Outgoing : PacketFlags.None;
                // struct virtio_net_hdr (host order here), right before the link header: read before the headroom
                // in front of the frame is written (SLL2 header, VLAN tag). gso_type 0 (NONE): not a super-frame.
                ushort segmentSize = _segmentSizes && data[-IfPacket.VirtioNetHeaderLength + 1] != 0
                    ? *(ushort*)(data - IfPacket.VirtioNetHeaderLength + 4)
                    : (ushort)0;
                if (_any)
                {
                    if (flags == PacketFlags.Outgoing && address->sll_hatype == Libc.ARPHRD_LOOPBACK)
                        continue; // lo's sent copy: its received copy follows (as libpcap)
                    data -= Sll2HeaderLength; // into the PACKET_RESERVE headroom
                    WriteSll2Header(data, address);
                    captured += Sll2HeaderLength;
                    length += Sll2HeaderLength;
                }
                if ((h->tp_status & IfPacket.TP_STATUS_CSUMNOTREADY) != 0)
                    flags |= PacketFlags.ChecksumNotReady;
                if (_reinsertVlan && (h->tp_status & IfPacket.TP_STATUS_VLAN_VALID) != 0 && captured >= 12)
                {
                    // The NIC or veth stripped the 802.1Q tag into metadata: put it back in front of the
                    // ethertype, in the PACKET_RESERVE headroom (as libpcap does).
                    byte* moved = data - VlanTagLength;
                    Buffer.MemoryCopy(data, moved, 12, 12);
                    ushort tpid = (h->tp_status & IfPacket.TP_STATUS_VLAN_TPID_VALID) != 0 ? h->hv1.tp_vlan_tpid : (ushort)0x8100;
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(moved + 12, 2), tpid);
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(moved + 14, 2), (ushort)h->hv1.tp_vlan_tci);
                    data = moved;
                    captured += VlanTagLength;
                    length += VlanTagLength;
                    flags |= PacketFlags.VlanTagRestored;
                }
                packet = new Packet(new Span<byte>(data, captured), length, h->tp_sec * 1_000_000_000L + h->tp_nsec,
                    _linkType, 0, -1, ++PacketsRead, flags) { SegmentSize = segmentSize };
                return PacketReadResult.Packet;
            }
            var block = (tpacket_block_desc*)(_ring + (nuint)_block * (nuint)_blockSize);
            if (_held)
            {
                Volatile.Write(ref block->hdr.block_status, IfPacket.TP_STATUS_KERNEL);   // hand the block back
                _held = false;
                _block = _block + 1 == _blockCount ? 0 : _block + 1;
                block = (tpacket_block_desc*)(_ring + (nuint)_block * (nuint)_blockSize);
            }
            if ((Volatile.Read(ref block->hdr.block_status) & IfPacket.TP_STATUS_USER) != 0)
            {
                _held = true;
                _left = block->hdr.num_pkts;
                _next = (byte*)block + block->hdr.offset_to_first_pkt;
                continue;
            }
            packet = default;
            if (_stopped)
            {
                // What the kernel took before the stop is still delivered: the block it is filling is handed over
                // when its retire timer finds it unchanged (within two timeouts), so that long is waited for it, on
                // the socket alone, and then the input ends.
                long now = Environment.TickCount64;
                if (_drainUntil == 0)
                    _drainUntil = now + 2L * _blockTimeoutMilliseconds + 20;
                if (now >= _drainUntil || !WaitForBlock((int)(_drainUntil - now)))
                    return PacketReadResult.EndOfInput;
                continue;
            }
            int wait = timeoutMilliseconds < 0 ? -1 : timeoutMilliseconds == 0 ? 0 : (int)Math.Max(0, deadline - Environment.TickCount64);
            if (timeoutMilliseconds >= 0 && wait == 0)
                return PacketReadResult.Timeout;
            Wait(wait);
        }
    }

    /// <summary>After a stop: waits for a block on the socket only (the stop's eventfd stays signalled); false on a timeout or an error.</summary>
    private bool WaitForBlock(int timeoutMilliseconds)
    {
        var fd = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
        return Libc.poll(&fd, 1, timeoutMilliseconds) > 0 && (fd.revents & Libc.POLLIN) != 0;
    }

    private void Wait(int timeoutMilliseconds)
    {
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = _eventFd, events = Libc.POLLIN };
        int r = Libc.poll(fds, 2, timeoutMilliseconds);
        if (r < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                return;
            throw new CaptureSystemException("poll", errno);
        }
        if ((fds[0].revents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0)
        {
            // The interface went away or down (the kernel reports ENETDOWN on the socket).
            int error = 0, length = sizeof(int);
            Libc.getsockopt(_fd, Libc.SOL_SOCKET, 4 /* SO_ERROR */, &error, &length);
            throw new CaptureSystemException($"capture on {_name}", error != 0 ? error : Errno.ENETDOWN);
        }
    }

    /// <summary>
    /// Ends a blocked or future read (it returns <see cref="PacketReadResult.EndOfInput"/>); any thread. Packets the
    /// kernel took before the stop are still read first: the reader waits up to two block timeouts for the ring's
    /// last block.
    /// </summary>
    public override void Stop()
    {
        _stopped = true;
        int fd = _eventFd;
        if (fd >= 0)
        {
            ulong one = 1;
            Libc.write(fd, &one, sizeof(ulong));
        }
    }

    /// <summary>
    /// The kernel's counters since the capture was opened (reading them resets the kernel's copy, so
    /// this object accumulates them). Callable from any thread.
    /// </summary>
    public LiveCaptureStatistics GetStatistics()
    {
        lock (_statsLock)
        {
            if (_fd >= 0)
            {
                tpacket_stats_v3 st;
                int length = sizeof(tpacket_stats_v3);
                if (Libc.getsockopt(_fd, IfPacket.SOL_PACKET, IfPacket.PACKET_STATISTICS, &st, &length) < 0)
                    throw new CaptureSystemException("getsockopt(PACKET_STATISTICS)", Marshal.GetLastPInvokeError());
                _received += st.tp_packets;
                _dropped += st.tp_drops;
                _freezes += st.tp_freeze_q_cnt;
            }
            return new LiveCaptureStatistics(_received, _dropped, _freezes);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                GetStatistics();
            }
            catch (CaptureSystemException)
            {
                // closing anyway
            }
        }
        if (_ring is not null)
        {
            Libc.munmap(_ring, _ringSize);
            _ring = null;
        }
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
        if (_eventFd >= 0)
        {
            Libc.close(_eventFd);
            _eventFd = -1;
        }
        base.Dispose(disposing);
    }

    ~LiveCapture() => Dispose(false);
}
