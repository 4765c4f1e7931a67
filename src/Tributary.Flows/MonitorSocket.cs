using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>
/// A monitor socket (mOS socket id): a stream listener or raw socket the application creates, or a flow socket
/// the engine creates for each (flow, matching listener). Flow sockets are the <c>socket</c> argument of flow
/// callbacks; they are recycled when their flow ends (ids first-in first-out, INVENTORY §2), so keep per-flow
/// data in <see cref="UserContext"/> and drop references at ConnectionEnd.
/// </summary>
public sealed class MonitorSocket
{
    private readonly MonitorContext _context;

    internal MonitorSocket(MonitorContext context) => _context = context;

    /// <summary>The socket id (one id space per context: listeners first, then flow sockets).</summary>
    public int Id { get; internal set; }

    public MonitorSocketKind Kind { get; internal set; }

    /// <summary>Per flow socket (per flow × listener) or per listener user data (mOS <c>mtcp_set_uctx</c>).</summary>
    public object? UserContext { get; set; }

    /// <summary>The listener a flow socket was created for; null for listeners and raw sockets.</summary>
    public MonitorSocket? Listener { get; internal set; }

    public MonitorContext Context => _context;

    /// <summary>False once the socket was closed or, for a flow socket, its flow was destroyed.</summary>
    public bool IsOpen => !Closed;

    // ----- engine state (Internal/ reads and writes these directly) -----
    internal bool Closed;
    internal int Generation;
    internal readonly CallbackSet[] Callbacks = [CallbackSet.Empty, CallbackSet.Empty, CallbackSet.Empty];

    // listener / raw
    internal StreamFilter? SynFilter;
    internal StreamFilter? OrphanFilter;
    internal StreamFilter? RawFilter;
    internal bool SynFilterHit;
    internal bool WantClientBuffer = true;
    internal bool WantServerBuffer = true;
    internal bool DefaultStopClient;
    internal bool DefaultStopServer;
    internal OverlapPolicy? DefaultClientOverlap;
    internal OverlapPolicy? DefaultServerOverlap;

    // flow socket
    internal int Flow = -1;
    internal MonitorSocket? NextInFlow;
    internal MonitorSocket? PrevInFlow;
    internal bool Detached;
    internal bool StopClient;
    internal bool StopServer;
    internal bool WantClientBufferFlow = true;
    internal bool WantServerBufferFlow = true;
    internal long PeekClient;
    internal long PeekServer;
    internal long LostClient;
    internal long LostServer;

    internal bool IsStopped(Side side) => side == Side.Client ? StopClient : StopServer;

    internal ref long PeekOffset(Side side) => ref side == Side.Client ? ref PeekClient : ref PeekServer;

    internal void ResetForReuse()
    {
        UserContext = null;
        Listener = null;
        Closed = false;
        Callbacks[0] = Callbacks[1] = Callbacks[2] = CallbackSet.Empty;
        SynFilter = OrphanFilter = RawFilter = null;
        SynFilterHit = false;
        WantClientBuffer = WantServerBuffer = true;
        DefaultStopClient = DefaultStopServer = false;
        DefaultClientOverlap = DefaultServerOverlap = null;
        Flow = -1;
        NextInFlow = PrevInFlow = null;
        Detached = false;
        StopClient = StopServer = false;
        WantClientBufferFlow = WantServerBufferFlow = true;
        PeekClient = PeekServer = LostClient = LostServer = 0;
    }

    // ----- filters -----

    /// <summary>
    /// mOS <c>mtcp_bind_monitor_filter</c> for a stream listener: the SYN filter (evaluated once, on the client's
    /// first SYN) and the orphan filter (on every orphan), tcpdump syntax. A refused expression installs nothing.
    /// </summary>
    public MonitorError TryBindStreamFilters(string? synFilter, string? orphanFilter) =>
        _context.BindStreamFilters(this, synFilter, orphanFilter);

    /// <summary>Throwing form of <see cref="TryBindStreamFilters"/>.</summary>
    public void BindStreamFilters(string? synFilter, string? orphanFilter) =>
        MonitorException.ThrowIfFailed(TryBindStreamFilters(synFilter, orphanFilter), "bind stream filters");

    /// <summary>mOS <c>mtcp_bind_monitor_filter</c> for a raw socket: any tcpdump expression.</summary>
    public MonitorError TryBindRawFilter(string rawFilter) => _context.BindRawFilter(this, rawFilter);

    /// <summary>Throwing form of <see cref="TryBindRawFilter"/>.</summary>
    public void BindRawFilter(string rawFilter) =>
        MonitorException.ThrowIfFailed(TryBindRawFilter(rawFilter), "bind raw filter");

    // ----- callbacks -----

    /// <summary>
    /// mOS <c>mtcp_register_callback</c>: one event on one hook of a listener (template for flows created
    /// afterwards) or of a flow socket (that flow only). <paramref name="callback"/> null de-registers; registering
    /// again replaces (DEVIATIONS B5; MosCompat: de-registration fails and re-registration is ignored).
    /// </summary>
    public MonitorError TryRegisterCallback(MonitorEvent monitorEvent, HookPoint hook, MonitorCallback? callback) =>
        _context.RegisterCallback(this, monitorEvent, hook, callback);

    /// <summary>Throwing form of <see cref="TryRegisterCallback"/>.</summary>
    public void RegisterCallback(MonitorEvent monitorEvent, HookPoint hook, MonitorCallback? callback) =>
        MonitorException.ThrowIfFailed(TryRegisterCallback(monitorEvent, hook, callback), $"register {monitorEvent} at {hook}");

    // ----- per-side state and buffers (getsockopt / setsockopt SOL_MONSOCKET) -----

    /// <summary>MOS_TCP_STATE_CLI/SVR: the side's TCP state, or an error when the side does not exist (yet or any more).</summary>
    public MonitorError TryGetState(Side side, out TcpState state) => _context.GetState(this, side, out state);

    /// <summary>The side's TCP state; throws when it does not exist.</summary>
    public TcpState GetState(Side side)
    {
        MonitorException.ThrowIfFailed(TryGetState(side, out TcpState s), "get state");
        return s;
    }

    /// <summary>MOS_INFO_CLIBUF/SVRBUF: buffer offsets (DEVIATIONS B18); NoData without a buffer.</summary>
    public MonitorError TryGetBufferInfo(Side side, out BufferInfo info) => _context.GetBufferInfo(this, side, out info);

    /// <summary>MOS_FRAGINFO_CLIBUF/SVRBUF: the fragments held in the side's buffer, in offset order.</summary>
    public MonitorError TryGetFragments(Side side, List<BufferFragment> fragments) => _context.GetFragments(this, side, fragments);

    /// <summary>MOS_CLIBUF/MOS_SVRBUF = 0: turn the side's receive buffer off (listener: flows created afterwards).</summary>
    public MonitorError DisableBuffer(Side side) => _context.DisableBuffer(this, side);

    /// <summary>MOS_CLIOVERLAP/SVROVERLAP. Any time in default mode; MosCompat fails (BadAddress) until the buffer exists (B13).</summary>
    public MonitorError TrySetOverlapPolicy(Side side, OverlapPolicy policy) => _context.SetOverlapPolicy(this, side, policy);

    /// <summary>MOS_STOP_MON: stop monitoring a side (or both) of this flow (B8, B29).</summary>
    public MonitorError StopMonitoring(Side side) => _context.StopMonitoring(this, side);

    /// <summary>MOS_TIMESTAMP: the flow's last activity, µs on the context clock.</summary>
    public MonitorError TryGetLastActivity(out long microseconds) => _context.GetLastActivity(this, out microseconds);

    /// <summary>Bytes of this side that were overwritten before this socket peeked them (cumulative, B25).</summary>
    public long GetLostBytes(Side side) => side == Side.Client ? LostClient : LostServer;

    // ----- data -----

    /// <summary>
    /// mOS <c>mtcp_peek</c>: copies new contiguous bytes of the side's stream from this socket's peek offset and
    /// advances it. Returns the byte count, 0 when nothing is new (B1), or −(bytes lost) with
    /// <paramref name="error"/> = NoData when bytes were overwritten before being peeked (the offset then jumps to
    /// the buffer head).
    /// </summary>
    public int Peek(Side side, Span<byte> destination, out MonitorError error) => _context.Peek(this, side, destination, out error);

    /// <summary>Peek without the error detail.</summary>
    public int Peek(Side side, Span<byte> destination) => Peek(side, destination, out _);

    /// <summary>mOS <c>mtcp_ppeek</c>: bytes from stream offset <paramref name="offset"/> to the end of the fragment holding it; -1 if none does.</summary>
    public int PPeek(Side side, Span<byte> destination, long offset, out MonitorError error) =>
        _context.PPeek(this, side, destination, offset, out error);

    /// <summary>mOS <c>mtcp_getpeername</c>: the client's and server's addresses (pre-NAT, from the client side).</summary>
    public MonitorError TryGetPeerNames(out FlowEndpoint client, out FlowEndpoint server) =>
        _context.GetPeerNames(this, out client, out server);

    /// <summary>Closes the socket (B20): a listener or raw socket stops joining new flows; a flow socket is detached from its flow.</summary>
    public MonitorError Close() => _context.CloseSocket(this);

    public override string ToString() => $"{Kind} socket {Id}";
}
