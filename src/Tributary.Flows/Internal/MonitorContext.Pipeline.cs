using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>The packet pipeline: decode, raw sockets, checksums, flow lookup or creation, orphans (INVENTORY §3).</summary>
public sealed partial class MonitorContext
{
    private const uint InitialReceiveWindow = 14600; // mTCP TCP_INITIAL_WINDOW (S23)

    private readonly MonitorStatistics _stats = new();
    private FlowRecord[] _flows = [];
    private int _flowFreeHead = -1;
    private int _flowHigh;
    private int _activeFlows;
    private FlowTable _table = null!;

    private readonly List<MonitorSocket?> _socketsById = [];
    private int _nextFreshSocketId;
    private readonly Queue<int> _releasedSocketIds = new();
    private readonly Stack<MonitorSocket> _socketPool = new();
    /// <summary>Listeners and raw sockets in creation order (mOS <c>mtcp->monitors</c>).</summary>
    private readonly List<MonitorSocket> _applicationSockets = [];
    private int _streamListenerCount;
    private int _rawSocketCount;

    private readonly List<ReceiveBuffer> _buffers = [];
    private readonly Stack<int> _freeBuffers = new();
    private readonly List<RangeSet> _ranges = [];
    private readonly Stack<int> _freeRanges = new();

    private PacketContext _packet;
    private bool _hasPacket;
    /// <summary>The IP-layer raw PacketIn of MosCompat shows no TCP header (B15).</summary>
    private bool _ipLayerView;
    private bool _dropped;
    private bool _modificationAllowed;
    private int _currentFlow = -1;
    private bool _currentFromClient;
    private bool _framePrivateCopy;
    private bool _modifiedByCallback;
    private byte[]? _scratchFrame;
    private byte[] _filterScratch = new byte[2048];

    private long _streamCounter;
    private long _creationCounter;
    private long _ticks; // ms tick of the clock

    private void InitializeEngine()
    {
        int initialFlows = Math.Min(1024, Math.Max(16, Options.MaxConcurrency / 2));
        _flows = new FlowRecord[initialFlows];
        _table = new FlowTable(initialFlows * 2);
        _clockUs = long.MinValue;
        InitializeTimers();
    }

    // ------------------------------------------------------------------ frames

    private unsafe void ProcessFrame(byte* frame, int length, int linkType, long timestampUs, int wireLength, bool writable)
    {
        SetFrame(frame, length, linkType, wireLength);
        FrameDecoder.Decode(ref _packet);
        ProcessCurrentFrame(writable);
    }

    private unsafe void SetFrame(byte* frame, int length, int linkType, int wireLength)
    {
        ref PacketContext p = ref _packet;
        p.Frame = frame;
        p.FrameLength = length;
        p.WireLength = wireLength;
        p.LinkType = linkType;
        p.TimestampUs = _clockUs;
    }

    private unsafe void ProcessCurrentFrame(bool writable)
    {
        ref PacketContext p = ref _packet;
        _framePrivateCopy = writable;
        _dropped = false;
        _modifiedByCallback = false;
        _stats.PacketsField++;
        bool forward = ProcessDecoded(ref p);
        _hasPacket = false;
        _currentFlow = -1;
        if (forward && _forward && !_dropped)
        {
            _stats.ForwardedField++;
            ForwardSink?.Invoke(new ReadOnlySpan<byte>(p.Frame, p.FrameLength), p.LinkType);
        }
        else
        {
            _stats.DroppedField++;
        }
    }

    /// <summary>
    /// As <see cref="ProcessPacket(ReadOnlySpan{byte}, int, long, int)"/> for a frame its caller has decoded already
    /// (the sharding reader decodes every frame to route it); the frame stays valid for the call.
    /// </summary>
    internal void ProcessDecodedFrame(ref PacketContext decoded, long timestampUs)
    {
        AdvanceClockCore(timestampUs, inclusive: false);
        _packet = decoded;
        _packet.TimestampUs = _clockUs;
        ProcessCurrentFrame(writable: false);
        AfterFrame(timestampUs);
    }

    /// <summary>The client and server states of every flow still open.</summary>
    internal IEnumerable<(TcpState Client, TcpState Server)> OpenFlowStatesCore()
    {
        for (int i = 0; i < _flowHigh; i++)
        {
            if (_flows[i].InUse)
                yield return (_flows[i].Client.PublicState, _flows[i].Server.PublicState);
        }
    }

    /// <summary>Runs one decoded frame through the engine; returns false when mOS discards the frame (not forwarded).</summary>
    private unsafe bool ProcessDecoded(ref PacketContext p)
    {
        if (_compat && !p.UntaggedEthernetIPv4)
            return true; // B16: mOS processes only untagged Ethernet IPv4; everything else is forwarded untouched
        switch (p.Status)
        {
            case DecodeStatus.NotIp:
                return true;
            case DecodeStatus.BadIp:
                _stats.MalformedField++;
                return false; // version or length nonsense: mOS drops silently
            case DecodeStatus.Truncated:
                _stats.MalformedField++;
                return true; // B34: no events, forwarded, counted
        }
        _hasPacket = true;
        if (_compat)
        {
            // INVENTORY §3 step 3: raw sockets with a filter see the IP packet, without its TCP header.
            if (_rawSocketCount > 0)
            {
                _ipLayerView = true;
                DispatchRaw(MonitorEvent.PacketIn, onlyFiltered: true);
                _ipLayerView = false;
            }
            if (_streamListenerCount == 0)
                return true; // step 4: raw-only apps never reach the TCP logic
            if (_verifyChecksums && !Checksum.VerifyIPv4Header(p.Frame + p.L3Offset, p.IpHeaderLength))
            {
                _stats.ChecksumErrorsField++;
                return false; // step 5
            }
            if (p.Status != DecodeStatus.Tcp && p.Status != DecodeStatus.BadTcp)
                return true; // step 6: non-TCP forwarded, no ORPHAN (B16a)
            if (_rawSocketCount > 0)
                DispatchRaw(MonitorEvent.PacketIn, onlyFiltered: false); // step 7 (a filtered raw socket sees TCP twice)
            if (p.Status == DecodeStatus.BadTcp)
            {
                _stats.MalformedField++;
                return false; // step 8
            }
        }
        else
        {
            if (_rawSocketCount > 0)
                DispatchRaw(MonitorEvent.PacketIn, onlyFiltered: false); // B15: one PacketIn per packet
            if (p.IpVersion == 4 && _verifyChecksums && !Checksum.VerifyIPv4Header(p.Frame + p.L3Offset, p.IpHeaderLength))
            {
                _stats.ChecksumErrorsField++;
                return false;
            }
            if (p.Status == DecodeStatus.BadTcp)
            {
                _stats.MalformedField++;
                return false;
            }
            if (p.Status != DecodeStatus.Tcp)
            {
                if (_rawSocketCount > 0)
                    DispatchRaw(MonitorEvent.Orphan, onlyFiltered: false); // B16a: non-TCP is an orphan for raw sockets
                return true;
            }
        }
        _stats.TcpPacketsField++;
        if (_verifyChecksums && !_checksumNotReady && !Checksum.VerifyTransport(ref p))
        {
            _stats.ChecksumErrorsField++;
            if (Options.ReportChecksumErrors)
                ReportChecksumError(ref p);
            return true; // S27: forwarded, no events
        }
        ProcessTcp(ref p);
        return true;
    }

    private void ProcessTcp(ref PacketContext p)
    {
        FlowKey key = p.Key;
        uint hash = key.DirectionalHash();
        int handle = _table.Find(key, hash, _flows);
        bool created = false;
        if (handle < 0)
        {
            int flow = TryCreateFlow(ref p, in key, hash);
            if (flow < 0)
            {
                DispatchOrphan();
                return;
            }
            handle = flow << 1;
            created = true;
        }
        UpdateMonitor(handle >> 1, fromClient: (handle & 1) == 0, created);
    }

    private void ReportChecksumError(ref PacketContext p)
    {
        FlowKey key = p.Key;
        int handle = _table.Find(key, key.DirectionalHash(), _flows);
        if (handle < 0)
            return;
        int flow = handle >> 1;
        Side receiver = (handle & 1) == 0 ? Side.Server : Side.Client;
        _currentFlow = flow;
        _currentFromClient = (handle & 1) == 0;
        RaiseError(flow, receiver);
    }

    // ------------------------------------------------------------------ flows

    private int TryCreateFlow(ref PacketContext p, in FlowKey key, uint hash)
    {
        bool synOnly = (p.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        if (!synOnly && !Options.AdoptMidstream)
            return -1;
        if (_streamListenerCount == 0)
            return -1;
        // INVENTORY §11: the SYN filter is evaluated once, on the client's first SYN.
        int matched = 0;
        Span<bool> attach = _applicationSockets.Count <= 64 ? stackalloc bool[_applicationSockets.Count] : new bool[_applicationSockets.Count];
        for (int i = 0; i < _applicationSockets.Count; i++)
        {
            MonitorSocket l = _applicationSockets[i];
            if (l.Kind != MonitorSocketKind.StreamListener || l.Closed)
                continue;
            bool hit = l.SynFilter is null || MatchesStreamFilter(l.SynFilter, ref p);
            if (hit)
            {
                matched++;
                l.SynFilterHit = true;
            }
            // B9: mOS never clears the hit flag, so a listener that matched once joins every later flow.
            attach[i] = _compat ? l.SynFilterHit : hit;
        }
        if (matched == 0)
            return -1;
        if (_activeFlows >= Math.Max(1, Options.MaxConcurrency / 2))
            return -1; // pool exhausted: mOS cannot create the stream, the packet is an orphan
        int flow = AllocateFlow();
        ref FlowRecord f = ref _flows[flow];
        f.ClientKey = key;
        f.ClientHash = hash;
        f.Client.Reset();
        f.Server.Reset();
        f.Client.Exists = true;
        f.Client.StreamNumber = (int)_streamCounter++;
        f.Client.RcvWnd = InitialReceiveWindow;
        f.Server.RcvWnd = InitialReceiveWindow;
        f.CreationSequence = _creationCounter++;
        f.LastActiveTick = _ticks;
        f.PendingNewData = 0;
        f.ServerKeyed = false;
        f.Destroying = false;
        f.FirstSocket = f.LastSocket = null;
        _table.Add(hash, flow << 1);
        for (int i = 0; i < _applicationSockets.Count; i++)
        {
            if (!attach[i])
                continue;
            MonitorSocket l = _applicationSockets[i];
            MonitorSocket? s = AllocateSocket(MonitorSocketKind.Flow);
            if (s is null)
                break; // id space exhausted (mOS ENFILE): the flow keeps the sockets it got
            s.Listener = l;
            s.Flow = flow;
            s.Generation = f.Generation;
            s.Callbacks[0] = l.Callbacks[0];
            s.Callbacks[1] = l.Callbacks[1];
            s.Callbacks[2] = l.Callbacks[2];
            s.StopClient = l.DefaultStopClient;
            s.StopServer = l.DefaultStopServer;
            s.WantClientBufferFlow = l.WantClientBuffer;
            s.WantServerBufferFlow = l.WantServerBuffer;
            s.UserContext = null;
            s.PrevInFlow = f.LastSocket;
            if (f.LastSocket is null)
                f.FirstSocket = s;
            else
                f.LastSocket.NextInFlow = s;
            f.LastSocket = s;
        }
        RecomputeSideFlags(flow);
        RecomputeFlowMasks(flow);
        if (!_compat)
        {
            // B13: a listener's overlap default applies from the buffer's creation.
            MonitorSocket? first = f.FirstSocket;
            if (first?.Listener?.DefaultClientOverlap is { } co)
                f.Client.OverlapLast = co == OverlapPolicy.Last;
            if (first?.Listener?.DefaultServerOverlap is { } so)
                f.Server.OverlapLast = so == OverlapPolicy.Last;
        }
        _stats.FlowsField++;
        if (!synOnly)
            AdoptMidstream(flow, ref p);
        return flow;
    }

    private int AllocateFlow()
    {
        int flow;
        if (_flowFreeHead >= 0)
        {
            flow = _flowFreeHead;
            _flowFreeHead = _flows[flow].NextFree;
        }
        else
        {
            if (_flowHigh == _flows.Length)
                Array.Resize(ref _flows, _flows.Length * 2);
            flow = _flowHigh++;
            _flows[flow].Generation = 0;
        }
        ref FlowRecord f = ref _flows[flow];
        f.InUse = true;
        f.Generation++;
        f.TimeoutNext = f.TimeoutPrev = -1;
        f.OnTimeoutList = false;
        _activeFlows++;
        return flow;
    }

    private void FreeFlow(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        f.InUse = false;
        f.Generation++;
        f.FirstSocket = f.LastSocket = null;
        f.NextFree = _flowFreeHead;
        _flowFreeHead = flow;
        _activeFlows--;
    }

    /// <summary>Side flags from the flow's sockets: monitored if any socket monitors it, buffered if any wants a buffer.</summary>
    private void RecomputeSideFlags(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        bool monC = false, monS = false, bufC = false, bufS = false;
        for (MonitorSocket? s = f.FirstSocket; s is not null; s = s.NextInFlow)
        {
            if (s.Detached)
                continue;
            monC |= !s.StopClient;
            monS |= !s.StopServer;
            bufC |= s.WantClientBufferFlow;
            bufS |= s.WantServerBufferFlow;
        }
        f.Client.Monitored = monC;
        f.Server.Monitored = monS;
        f.Client.BufferManaged = bufC;
        f.Server.BufferManaged = bufS;
    }

    /// <summary>B33: a flow created from a packet whose SYN was not seen; both sides start ESTABLISHED at the packet's sequence numbers.</summary>
    private void AdoptMidstream(int flow, ref PacketContext p)
    {
        ref FlowRecord f = ref _flows[flow];
        ref SideState c = ref f.Client;
        ref SideState s = ref f.Server;
        c.State = s.State = (byte)TcpState.Established;
        c.Iss = p.Seq - 1;
        c.SndNxt = p.Seq;
        s.Irs = p.Seq - 1;
        s.RcvNxt = p.Seq;
        s.Iss = p.Ack - 1;
        s.SndNxt = p.Ack;
        c.Irs = p.Ack - 1;
        c.RcvNxt = p.Ack;
        s.Exists = true;
        s.StreamNumber = (int)_streamCounter++;
        f.ServerKey = p.Key.Reversed();
        f.ServerHash = f.ServerKey.DirectionalHash();
        f.ServerKeyed = true;
        _table.Add(f.ServerHash, (flow << 1) | 1);
        ScheduleIdle(flow);
    }

    private unsafe void CreateServerSide(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        ref PacketContext p = ref _packet;
        if (_framePrivateCopy && _modifiedByCallback)
            FrameDecoder.Decode(ref p); // the SYN may have been rewritten at the Send hook (NAT, INVENTORY §3 step 11.2)
        ref SideState s = ref f.Server;
        s.Exists = true;
        s.State = (byte)TcpState.Listen;
        s.StreamNumber = (int)_streamCounter++;
        s.Irs = p.Seq;
        s.RcvNxt = p.Seq + 1;
        f.ServerKey = p.Key.Reversed();
        f.ServerHash = f.ServerKey.DirectionalHash();
        if (_table.Find(f.ServerKey, f.ServerHash, _flows) < 0)
        {
            _table.Add(f.ServerHash, (flow << 1) | 1);
            f.ServerKeyed = true;
        }
    }

    // ------------------------------------------------------------------ sockets

    private MonitorSocket CreateApplicationSocket(MonitorSocketKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MonitorSocket s = AllocateSocket(kind) ?? throw new MonitorException(MonitorError.TooManyFiles, "socket id space exhausted");
        _applicationSockets.Add(s);
        if (kind == MonitorSocketKind.StreamListener)
            _streamListenerCount++;
        else
            _rawSocketCount++;
        return s;
    }

    private MonitorSocket? AllocateSocket(MonitorSocketKind kind)
    {
        int id;
        if (_nextFreshSocketId < Options.MaxConcurrency)
            id = _nextFreshSocketId++;
        else if (!_releasedSocketIds.TryDequeue(out id))
            return null;
        MonitorSocket s = _socketPool.Count > 0 ? _socketPool.Pop() : new MonitorSocket(this);
        s.ResetForReuse();
        s.Id = id;
        s.Kind = kind;
        s.Generation++;
        while (_socketsById.Count <= id)
            _socketsById.Add(null);
        _socketsById[id] = s;
        return s;
    }

    private void ReleaseFlowSocket(MonitorSocket s)
    {
        s.Closed = true;
        s.Flow = -1;
        s.NextInFlow = s.PrevInFlow = null;
        _socketsById[s.Id] = null;
        _releasedSocketIds.Enqueue(s.Id);
        s.Generation++;
        _socketPool.Push(s);
    }

    // ------------------------------------------------------------------ filters

    private bool MatchesStreamFilter(StreamFilter filter, ref PacketContext p)
    {
        // mOS evaluates stream filters on "Ethernet header + IP packet" (INVENTORY §11): render untagged Ethernet.
        ReadOnlySpan<byte> frame = RenderEthernet(ref p);
        return filter.Matches(frame, frame.Length, LinkTypes.Ethernet);
    }

    private unsafe ReadOnlySpan<byte> RenderEthernet(ref PacketContext p)
    {
        int ipLen = Math.Min(p.IpLength, p.FrameLength - p.L3Offset);
        if (p.UntaggedEthernetIPv4)
            return new ReadOnlySpan<byte>(p.Frame, 14 + ipLen);
        if (_filterScratch.Length < 14 + ipLen)
            _filterScratch = new byte[14 + ipLen];
        Span<byte> s = _filterScratch;
        s[..12].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], p.IpVersion == 6 ? (ushort)0x86DD : (ushort)0x0800);
        new ReadOnlySpan<byte>(p.Frame + p.L3Offset, ipLen).CopyTo(s[14..]);
        return s[..(14 + ipLen)];
    }

    private unsafe bool MatchesRawFilter(StreamFilter filter, ref PacketContext p)
    {
        // Default mode: any expression, on the frame as captured (compiled for its link type); MosCompat only
        // ever sees untagged Ethernet frames.
        if (_compat)
        {
            ReadOnlySpan<byte> eth = RenderEthernet(ref p); // mOS: Ethernet header + IP packet, padding excluded
            return filter.Matches(eth, eth.Length, LinkTypes.Ethernet);
        }
        return filter.Matches(new ReadOnlySpan<byte>(p.Frame, p.FrameLength), p.WireLength, p.LinkType);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DispatchRaw(MonitorEvent ev, bool onlyFiltered)
    {
        ref PacketContext p = ref _packet;
        for (int i = 0; i < _applicationSockets.Count; i++)
        {
            MonitorSocket s = _applicationSockets[i];
            if (s.Kind != MonitorSocketKind.Raw || s.Closed)
                continue;
            if (s.RawFilter is null ? onlyFiltered : !MatchesRawFilter(s.RawFilter, ref p))
                continue;
            DispatchSocket(s, Side.Both, HookPoint.Null, (ulong)ev);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DispatchOrphan()
    {
        ref PacketContext p = ref _packet;
        _stats.OrphansField++;
        for (int i = 0; i < _applicationSockets.Count; i++)
        {
            MonitorSocket s = _applicationSockets[i];
            if (s.Closed)
                continue;
            StreamFilter? filter = s.Kind == MonitorSocketKind.Raw ? s.RawFilter : s.OrphanFilter;
            if (filter is not null && !(s.Kind == MonitorSocketKind.Raw ? MatchesRawFilter(filter, ref p) : MatchesStreamFilter(filter, ref p)))
                continue;
            DispatchSocket(s, Side.Both, HookPoint.Null, (ulong)MonitorEvent.Orphan);
        }
    }
}
