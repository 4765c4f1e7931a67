using System.Buffers.Binary;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>The socket-level API (filters, registrations, getsockopt/setsockopt, peeking, last packet), INVENTORY §11–§13.</summary>
public sealed partial class MonitorContext
{
    private const ulong NotAtNull = (ulong)(MonitorEvent.ConnectionStart | MonitorEvent.Retransmission | MonitorEvent.TcpStateChange | MonitorEvent.ConnectionEnd);
    private const ulong OnlyAtNull = (ulong)(MonitorEvent.ConnectionNewData | MonitorEvent.Orphan | MonitorEvent.Error);

    private bool IsLiveFlowSocket(MonitorSocket s) =>
        s.Kind == MonitorSocketKind.Flow && !s.Closed && s.Flow >= 0 && _flows[s.Flow].InUse;

    // ------------------------------------------------------------------ registration

    internal MonitorError RegisterCallback(MonitorSocket s, MonitorEvent ev, HookPoint hook, MonitorCallback? callback)
    {
        if (s.Closed || (s.Kind == MonitorSocketKind.Flow && !IsLiveFlowSocket(s)))
            return MonitorError.BadDescriptor;
        if (hook is not (HookPoint.Send or HookPoint.Receive or HookPoint.Null))
            return MonitorError.InvalidArgument;
        var path = new List<UserEventRegistry.Definition>();
        ulong mask;
        if (UserEventRegistry.IsBuiltIn(ev))
        {
            mask = (ulong)ev;
        }
        else
        {
            UserEventRegistry.Definition? d = UserEvents.Find(ev);
            if (d is null || (d.Allocated && _compat))
                return MonitorError.Unchanged; // mOS: -1, errno untouched (multi-bit masks, 0, alloc'd events)
            for (UserEventRegistry.Definition? w = d; w is not null; w = UserEvents.Find(w.Parent))
                path.Insert(0, w);
            // B19: mOS validates the hook with the parent's id taken as a bit mask; the default uses the root built-in.
            mask = _compat ? (ulong)d.Parent : (ulong)d.Root;
        }
        if (hook == HookPoint.Null ? (mask & NotAtNull) != 0 : (mask & OnlyAtNull) != 0)
            return MonitorError.InvalidArgument;
        CallbackSet set = s.Callbacks[(int)hook];
        MonitorCallback? existing = set.Lookup(ev, path);
        if (callback is null)
        {
            if (_compat)
                return MonitorError.Unchanged; // B5a: de-registration always fails in mOS
            if (existing is null)
                return MonitorError.InvalidArgument;
        }
        else if (existing is not null && _compat)
        {
            return MonitorError.None; // B5b: mOS keeps the first callback and reports success
        }
        s.Callbacks[(int)hook] = path.Count == 0 ? set.WithBuiltIn(ev, callback) : set.WithUde(path, callback);
        if (s.Kind == MonitorSocketKind.Flow)
            RecomputeFlowMasks(s.Flow);
        return MonitorError.None;
    }

    // ------------------------------------------------------------------ filters

    internal MonitorError BindStreamFilters(MonitorSocket s, string? syn, string? orphan)
    {
        if (s.Closed)
            return MonitorError.BadDescriptor;
        if (s.Kind != MonitorSocketKind.StreamListener)
            return MonitorError.ProtocolNotAvailable;
        if (syn is null && orphan is null)
            return MonitorError.None;
        StreamFilter? synFilter = null, orphanFilter = null;
        if (syn is not null)
        {
            if (!CheckFlowRule(syn) || (synFilter = CompileStream(syn, 142)) is null)
                return MonitorError.InvalidArgument;
            if (_compat)
                s.SynFilter = synFilter; // B28: mOS installs the SYN filter before looking at the orphan filter
        }
        if (orphan is not null)
        {
            if (!CheckFlowRule(orphan) || (orphanFilter = CompileStream(orphan, 154)) is null)
                return MonitorError.InvalidArgument;
        }
        if (synFilter is not null)
            s.SynFilter = synFilter;
        if (orphanFilter is not null)
            s.OrphanFilter = orphanFilter;
        return MonitorError.None;
    }

    private StreamFilter? CompileStream(string expression, int diagnosticLine)
    {
        StreamFilter? f = StreamFilter.Create(expression, LinkTypes.Ethernet, out _);
        if (f is null)
            Diagnostic("mtcp_bind_monitor_filter", diagnosticLine, "Invalid filter expression!");
        return f;
    }

    internal MonitorError BindRawFilter(MonitorSocket s, string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (s.Closed)
            return MonitorError.BadDescriptor;
        if (s.Kind != MonitorSocketKind.Raw)
            return MonitorError.ProtocolNotAvailable;
        StreamFilter? f = StreamFilter.Create(expression, LinkTypes.Ethernet, out _);
        if (f is null)
        {
            Diagnostic("mtcp_bind_monitor_filter", 128, "Invalid filter expression!");
            return MonitorError.InvalidArgument;
        }
        s.RawFilter = f;
        return MonitorError.None;
    }

    private static readonly string[] s_nonTcpProtocols = ["udp", "icmp", "icmp6", "igmp", "igrp", "pim", "ah", "esp", "vrrp", "sctp", "arp", "rarp"];

    /// <summary>
    /// Stream filters must describe TCP (DEVIATIONS B28, N5). MosCompat applies mOS's IsValidFlowRule word list;
    /// the default refuses only expressions that name a non-TCP protocol. Prints mOS's diagnostic line.
    /// </summary>
    private bool CheckFlowRule(string expr)
    {
        if (expr.Contains("!tcp", StringComparison.Ordinal) || expr.Contains("not tcp", StringComparison.Ordinal))
        {
            Diagnostic("IsValidFlowRule", 44, "'!tcp' or 'not tcp' is not a valid rule for TCP flow monitor.");
            return false;
        }
        int bad = _compat ? FirstInvalidCompatWord(expr) : FirstNonTcpWord(expr);
        if (bad < 0)
            return true;
        Diagnostic("IsValidFlowRule", 80, $"Invalid keyword in filter ({expr[bad..]})");
        return false;
    }

    private static int FirstInvalidCompatWord(string expr)
    {
        int i = 0;
        while (true)
        {
            while (i < expr.Length && expr[i] == ' ')
                i++;
            if (i >= expr.Length)
                return -1;
            ReadOnlySpan<char> rest = expr.AsSpan(i);
            if (rest.StartsWith("tcp", StringComparison.Ordinal))
            {
                i = NextBlank(expr, i);
                continue;
            }
            bool matched = false;
            foreach (string w in (string[])["src ", "dst ", "not ", "and ", "or "])
            {
                if (rest.StartsWith(w, StringComparison.Ordinal))
                {
                    i += w.Length;
                    matched = true;
                    break;
                }
            }
            if (matched)
                continue;
            foreach (string w in (string[])["host ", "net ", "mask ", "port ", "portrange "])
            {
                if (rest.StartsWith(w, StringComparison.Ordinal))
                {
                    i += w.Length;
                    while (i < expr.Length && expr[i] == ' ')
                        i++;
                    i = NextBlank(expr, i);
                    matched = true;
                    break;
                }
            }
            if (!matched)
                return i;
        }
    }

    private static int NextBlank(string s, int i)
    {
        while (i < s.Length && s[i] != ' ')
            i++;
        return i;
    }

    private static int FirstNonTcpWord(string expr)
    {
        int i = 0;
        bool afterProto = false;
        while (i < expr.Length)
        {
            while (i < expr.Length && IsSeparator(expr[i]))
                i++;
            if (i >= expr.Length)
                break;
            int start = i;
            while (i < expr.Length && !IsSeparator(expr[i]))
                i++;
            string word = expr[start..i];
            if (afterProto)
            {
                if (word is not ("6" or "tcp"))
                    return start;
                afterProto = false;
                continue;
            }
            if (Array.IndexOf(s_nonTcpProtocols, word) >= 0)
                return start;
            afterProto = word is "proto" or "protochain";
        }
        return -1;
    }

    private static bool IsSeparator(char c) => c is ' ' or '(' or ')' or '!' or '&' or '|';

    // ------------------------------------------------------------------ getsockopt

    internal MonitorError GetState(MonitorSocket s, Side side, out TcpState state)
    {
        state = TcpState.Closed;
        if (s.Kind != MonitorSocketKind.Flow)
            return MonitorError.NotASocket;
        if (!IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        if (side is not (Side.Client or Side.Server))
            return MonitorError.InvalidArgument;
        ref SideState x = ref SideOf(ref _flows[s.Flow], side == Side.Client);
        if (!x.Exists)
            return MonitorError.Unchanged; // the server side before the first SYN's HK_SND is over
        if (_compat && x.Destroyed && side == Side.Server)
            return MonitorError.Unchanged; // B21: mOS already freed it
        state = x.PublicState;
        return MonitorError.None;
    }

    internal MonitorError GetBufferInfo(MonitorSocket s, Side side, out BufferInfo info)
    {
        info = default;
        if (s.Kind != MonitorSocketKind.Flow)
            return MonitorError.NotASocket;
        if (!IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        if (side is not (Side.Client or Side.Server))
            return MonitorError.InvalidArgument;
        ref SideState x = ref SideOf(ref _flows[s.Flow], side == Side.Client);
        if (x.Buffer < 0 || (_compat && x.Destroyed))
            return MonitorError.NoData;
        ReceiveBuffer b = _buffers[x.Buffer];
        info = new BufferInfo(b.Pile, b.ContiguousEnd, b.LastReceived, x.Irs + 1);
        return MonitorError.None;
    }

    internal MonitorError GetFragments(MonitorSocket s, Side side, List<BufferFragment> fragments)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        fragments.Clear();
        MonitorError e = GetBufferInfo(s, side, out _);
        if (e != MonitorError.None)
            return e;
        ReceiveBuffer b = _buffers[SideOf(ref _flows[s.Flow], side == Side.Client).Buffer];
        for (int i = 0; i < b.FragmentCount; i++)
            fragments.Add(new BufferFragment(b.FragmentHead(i), (int)(b.FragmentTail(i) - b.FragmentHead(i))));
        return MonitorError.None;
    }

    internal MonitorError GetLastActivity(MonitorSocket s, out long microseconds)
    {
        microseconds = 0;
        if (!IsLiveFlowSocket(s))
            return s.Kind == MonitorSocketKind.Flow ? MonitorError.BadDescriptor : MonitorError.NotASocket;
        microseconds = _flows[s.Flow].LastActiveTick * 1000;
        return MonitorError.None;
    }

    internal MonitorError GetPeerNames(MonitorSocket s, out FlowEndpoint client, out FlowEndpoint server)
    {
        client = server = default;
        if (!IsLiveFlowSocket(s))
            return MonitorError.NotConnected;
        ref FlowRecord f = ref _flows[s.Flow];
        client = new FlowEndpoint(f.ClientKey.Source, f.ClientKey.Version, f.ClientKey.SourcePort);
        server = new FlowEndpoint(f.ClientKey.Destination, f.ClientKey.Version, f.ClientKey.DestinationPort);
        return MonitorError.None;
    }

    // ------------------------------------------------------------------ setsockopt

    internal MonitorError DisableBuffer(MonitorSocket s, Side side)
    {
        if (s.Closed)
            return MonitorError.BadDescriptor;
        bool c = side is Side.Client or Side.Both, v = side is Side.Server or Side.Both;
        if (s.Kind == MonitorSocketKind.StreamListener)
        {
            if (c)
                s.WantClientBuffer = false;
            if (v)
                s.WantServerBuffer = false;
            return MonitorError.None;
        }
        if (s.Kind != MonitorSocketKind.Flow)
            return MonitorError.ProtocolNotAvailable;
        if (!IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        if (c)
            s.WantClientBufferFlow = false;
        if (v)
            s.WantServerBufferFlow = false;
        RecomputeSideFlags(s.Flow);
        ref FlowRecord f = ref _flows[s.Flow];
        if (!f.Client.BufferManaged)
            ReleaseBuffer(ref f.Client);
        if (!f.Server.BufferManaged)
            ReleaseBuffer(ref f.Server);
        return MonitorError.None;
    }

    internal MonitorError SetOverlapPolicy(MonitorSocket s, Side side, OverlapPolicy policy)
    {
        if (s.Closed)
            return MonitorError.BadDescriptor;
        if (policy is not (OverlapPolicy.First or OverlapPolicy.Last) || side is not (Side.Client or Side.Server))
            return MonitorError.InvalidArgument;
        if (s.Kind == MonitorSocketKind.StreamListener)
        {
            if (_compat)
                return MonitorError.BadAddress; // B13: undefined behaviour in mOS
            if (side == Side.Client)
                s.DefaultClientOverlap = policy;
            else
                s.DefaultServerOverlap = policy;
            return MonitorError.None;
        }
        if (!IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        ref SideState x = ref SideOf(ref _flows[s.Flow], side == Side.Client);
        if (_compat && (x.Buffer < 0 || !x.Exists))
            return MonitorError.BadAddress; // B13: EFAULT until that side's buffer exists
        x.OverlapLast = policy == OverlapPolicy.Last;
        if (x.Buffer >= 0)
            _buffers[x.Buffer].Policy = policy;
        return MonitorError.None;
    }

    internal MonitorError StopMonitoring(MonitorSocket s, Side side)
    {
        if (s.Closed)
            return MonitorError.BadDescriptor;
        if (side is not (Side.Client or Side.Server or Side.Both))
            return MonitorError.InvalidArgument;
        if (side == Side.Both && _compat)
            return MonitorError.None; // B8: a no-op in mOS
        bool c = side is Side.Client or Side.Both, v = side is Side.Server or Side.Both;
        if (s.Kind == MonitorSocketKind.StreamListener)
        {
            s.DefaultStopClient |= c;
            s.DefaultStopServer |= v;
            return _compat ? MonitorError.NotPermitted : MonitorError.None;
        }
        if (!IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        s.StopClient |= c;
        s.StopServer |= v;
        RecomputeSideFlags(s.Flow);
        return MonitorError.None;
    }

    internal MonitorError CloseSocket(MonitorSocket s)
    {
        if (_compat)
            return MonitorError.BadDescriptor; // B20: mtcp_close does not know monitor sockets
        if (s.Closed)
            return MonitorError.BadDescriptor;
        if (s.Kind == MonitorSocketKind.Flow)
        {
            if (!IsLiveFlowSocket(s))
                return MonitorError.BadDescriptor;
            s.Detached = true;
            RecomputeSideFlags(s.Flow);
            return MonitorError.None;
        }
        s.Closed = true;
        s.Callbacks[0] = s.Callbacks[1] = s.Callbacks[2] = CallbackSet.Empty;
        s.SynFilter = s.OrphanFilter = s.RawFilter = null;
        _applicationSockets.Remove(s);
        if (s.Kind == MonitorSocketKind.StreamListener)
            _streamListenerCount--;
        else
            _rawSocketCount--;
        return MonitorError.None;
    }

    // ------------------------------------------------------------------ peek

    internal MonitorError CheckPeek(MonitorSocket s, Side side, out ReceiveBuffer? buffer)
    {
        buffer = null;
        if (s.Kind != MonitorSocketKind.Flow || !IsLiveFlowSocket(s))
            return MonitorError.BadDescriptor;
        if (side is not (Side.Client or Side.Server))
            return MonitorError.InvalidArgument; // B34: mOS exit()s
        ref SideState x = ref SideOf(ref _flows[s.Flow], side == Side.Client);
        if (!x.BufferManaged)
            return MonitorError.InvalidArgument;
        if (x.Buffer < 0 || (_compat && x.Destroyed))
            return MonitorError.NoData;
        buffer = _buffers[x.Buffer];
        return MonitorError.None;
    }

    internal int Peek(MonitorSocket s, Side side, Span<byte> destination, out MonitorError error)
    {
        error = CheckPeek(s, side, out ReceiveBuffer? b);
        if (error != MonitorError.None)
        {
            if (error == MonitorError.NoData)
                ReportPeekFailure();
            return error == MonitorError.NoData ? 0 : -1;
        }
        ref long offset = ref s.PeekOffset(side);
        if (offset < b!.Head)
        {
            // S24 latepeek: the bytes were overwritten before this socket saw them.
            long lost = b.Head - offset;
            offset = b.Head;
            if (side == Side.Client)
                s.LostClient += lost;
            else
                s.LostServer += lost;
            error = MonitorError.NoData;
            return (int)-Math.Min(lost, int.MaxValue);
        }
        int fi = b.FindFragment(offset);
        if (fi < 0 || destination.Length == 0)
        {
            if (fi < 0)
                ReportPeekFailure();
            return 0; // B1: nothing new → 0 (mOS exit()s here)
        }
        int n = (int)Math.Min(destination.Length, b.FragmentTail(fi) - offset);
        b.CopyOut(offset, destination[..n]);
        offset += n;
        return n;
    }

    private void ReportPeekFailure()
    {
        if (_compat)
            Diagnostic("mtcp_peek", 297, "tcprb_ppeek() failed");
    }

    internal int PPeek(MonitorSocket s, Side side, Span<byte> destination, long offset, out MonitorError error)
    {
        error = CheckPeek(s, side, out ReceiveBuffer? b);
        if (error != MonitorError.None)
            return -1;
        int fi = b!.FindFragment(offset);
        if (fi < 0)
        {
            error = MonitorError.InvalidArgument;
            return -1;
        }
        int n = (int)Math.Min(destination.Length, b.FragmentTail(fi) - offset);
        b.CopyOut(offset, destination[..n]);
        return n;
    }

    // ------------------------------------------------------------------ last packet

    private unsafe bool GetLastPacket(out PacketView view)
    {
        if (!_hasPacket)
        {
            view = default;
            return false;
        }
        ref PacketContext p = ref _packet;
        bool tcp = !_ipLayerView && p.Status == DecodeStatus.Tcp;
        view = new PacketView
        {
            Frame = new ReadOnlySpan<byte>(p.Frame, p.FrameLength),
            IpPacket = p.IpPacket,
            Payload = tcp ? p.Payload : default,
            TimestampMicroseconds = _clockUs,
            IpVersion = p.IpVersion,
            Source = p.Source,
            Destination = p.Destination,
            Protocol = p.Protocol,
            IpLength = p.IpLength,
            HasTcpHeader = tcp,
            SourcePort = tcp ? p.SourcePort : (ushort)0,
            DestinationPort = tcp ? p.DestinationPort : (ushort)0,
            Sequence = tcp ? p.Seq : 0,
            Acknowledgment = tcp ? p.Ack : 0,
            TcpFlags = tcp ? p.Flags : (byte)0,
            Window = tcp ? p.Window : (ushort)0,
            PayloadLength = tcp ? p.PayloadLength : 0,
            Offset = tcp ? PacketOffset(ref p) : 0,
        };
        return true;
    }

    /// <summary>B10: the payload's offset in the receiving side's stream (MosCompat: mOS's value from the sender's own buffer).</summary>
    private long PacketOffset(ref PacketContext p)
    {
        if (_currentFlow < 0 || (p.Flags & TcpFlags.Syn) != 0)
            return 0;
        ref FlowRecord f = ref _flows[_currentFlow];
        ref SideState r = ref SideOf(ref f, !_currentFromClient);
        if (_compat)
        {
            ref SideState sender = ref SideOf(ref f, _currentFromClient);
            if (sender.Buffer < 0)
                return 0;
            long off = (uint)(p.Seq - (sender.Irs + 1));
            while (off < _buffers[sender.Buffer].Head)
                off += 1L << 32;
            return off;
        }
        if (!r.BufferManaged)
            return -1;
        // seq − IRS − 1 on 64 bits: the 32-bit distance placed next to the side's current stream offset.
        long c = (r.RcvNextOffset & ~0xFFFFFFFFL) | (uint)(p.Seq - (r.Irs + 1));
        if (c - r.RcvNextOffset > 1L << 31)
            c -= 1L << 32;
        else if (r.RcvNextOffset - c > 1L << 31)
            c += 1L << 32;
        return c;
    }

    private MonitorError DropCurrentPacket()
    {
        if (!_hasPacket)
            return MonitorError.AccessDenied;
        _dropped = true;
        return MonitorError.None;
    }

    private unsafe MonitorError OverwriteCurrentPacket(PacketLayer layer, int offset, ReadOnlySpan<byte> data, bool ipChecksum, bool tcpChecksum)
    {
        if (!_hasPacket)
            return MonitorError.AccessDenied;
        ref PacketContext p = ref _packet;
        (int start, int length) = layer switch
        {
            PacketLayer.Link => (0, p.L3Offset),
            PacketLayer.Ip => (p.L3Offset, p.IpHeaderLength),
            PacketLayer.Tcp => (p.L4Offset, p.Status == DecodeStatus.Tcp ? p.TcpHeaderLength : 0),
            PacketLayer.Payload => (p.PayloadOffset, p.Status == DecodeStatus.Tcp ? p.PayloadLength : 0),
            _ => (0, -1),
        };
        if (length < 0 || offset < 0 || offset + data.Length > length)
            return MonitorError.InvalidArgument;
        EnsurePrivateFrame(ref p);
        data.CopyTo(new Span<byte>(p.Frame + start + offset, data.Length));
        if (ipChecksum && p.IpVersion == 4)
            Checksum.UpdateIPv4Header(p.Frame + p.L3Offset, p.IpHeaderLength);
        if (tcpChecksum && p.Status == DecodeStatus.Tcp)
            Checksum.UpdateTransport(ref p);
        _modifiedByCallback = true;
        long saved = p.TimestampUs;
        FrameDecoder.Decode(ref p); // a rewritten TCP header refreshes seq/ack/ports (mOS pkt_info)
        p.TimestampUs = saved;
        return MonitorError.None;
    }

    private unsafe void EnsurePrivateFrame(ref PacketContext p)
    {
        if (_framePrivateCopy)
            return;
        if (_scratchFrame is null || _scratchFrame.Length < p.FrameLength)
            _scratchFrame = GC.AllocateArray<byte>(Math.Max(p.FrameLength, 2048), pinned: true);
        new ReadOnlySpan<byte>(p.Frame, p.FrameLength).CopyTo(_scratchFrame);
        fixed (byte* copy = _scratchFrame)
            p.Frame = copy; // pinned array: the address stays valid
        _framePrivateCopy = true;
    }

    internal static void WriteBigEndian(Span<byte> s, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(s, v);
}
