using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>
/// A monitoring context (mOS <c>mctx_t</c>): one flow table, its sockets, callbacks, timers and clock, fed packet
/// by packet. Single-threaded like a mOS core: call it from one thread (sharded monitors use one context per
/// thread with a symmetric 4-tuple hash). Offline sources drive the clock with capture timestamps
/// (<see cref="AdvanceClock"/>, TRACER §5); live sources with the wall clock.
/// </summary>
/// <remarks>
/// The engine's mechanics live in <c>Internal/MonitorContext.*.cs</c> (packet pipeline, per-side TCP, buffers,
/// dispatch, timers); this file is the public surface.
/// </remarks>
public sealed partial class MonitorContext : IDisposable
{
    private readonly bool _compat;
    // Options read on every packet, cached (the options record is immutable).
    private readonly bool _forward;
    private readonly bool _verifyChecksums;
    /// <summary>The frame being processed is a live capture's whose TCP checksum was not filled in yet.</summary>
    private bool _checksumNotReady;
    private readonly int _timeWaitSeconds;
    private bool _disposed;

    /// <summary>Creates a context; <paramref name="options"/> are validated (DEVIATIONS B31).</summary>
    public MonitorContext(MonitorContextOptions? options = null, UserEventRegistry? userEvents = null)
    {
        Options = options ?? new MonitorContextOptions();
        Options.Validate();
        _compat = Options.MosCompat;
        _forward = Options.Forward;
        _verifyChecksums = Options.VerifyChecksums;
        _timeWaitSeconds = Options.TimeWaitSeconds;
        UserEvents = userEvents ?? new UserEventRegistry();
        InitializeEngine();
    }

    public MonitorContextOptions Options { get; }

    /// <summary>The definitions of user-defined events this context uses (share one between sharded contexts).</summary>
    public UserEventRegistry UserEvents { get; }

    /// <summary>Receives mOS's diagnostic lines (<c>[function: line] text</c>, TRACER §3.7) as they are emitted.</summary>
    public Action<string>? DiagnosticWriter { get; set; }

    /// <summary>Called with every frame that is forwarded (inline mode), after processing and possible rewriting.</summary>
    public FrameSink? ForwardSink { get; set; }

    /// <summary>Counters since creation.</summary>
    public MonitorStatistics Statistics => _stats;

    /// <summary>The context clock in µs (capture time offline, wall clock live); long.MinValue before the first packet.</summary>
    public long ClockMicroseconds => _clockUs;

    /// <summary>Number of flows currently tracked.</summary>
    public int ActiveFlows => _activeFlows;

    // ----- sockets -----

    /// <summary>mOS <c>mtcp_socket(MOS_SOCK_MONITOR_STREAM)</c>: a stream listener monitoring both sides, buffers on, no filters.</summary>
    public MonitorSocket CreateStreamListener() => CreateApplicationSocket(MonitorSocketKind.StreamListener);

    /// <summary>mOS <c>mtcp_socket(MOS_SOCK_MONITOR_RAW)</c>: a raw packet tap.</summary>
    public MonitorSocket CreateRawSocket() => CreateApplicationSocket(MonitorSocketKind.Raw);

    // ----- user-defined events -----

    /// <summary>mOS <c>mtcp_define_event</c> (see <see cref="UserEventRegistry.Define"/>).</summary>
    public MonitorEvent DefineEvent(MonitorEvent baseEvent, EventFilter filter, ReadOnlyMemory<byte> argument = default) =>
        UserEvents.Define(baseEvent, filter, argument);

    /// <summary>mOS <c>mtcp_alloc_event</c> (see <see cref="UserEventRegistry.Allocate"/>).</summary>
    public MonitorEvent AllocEvent(MonitorEvent parent) => UserEvents.Allocate(parent);

    /// <summary>
    /// mOS <c>mtcp_raise_event</c>: from the filter of an allocated event's parent, raise that event for this
    /// occurrence; its callbacks run right after the parent's callback if the filter returns true (B7).
    /// MosCompat: always fails, as in mOS.
    /// </summary>
    public MonitorError RaiseEvent(MonitorEvent monitorEvent) => RaiseEventCore(monitorEvent);

    // ----- timers and clock -----

    /// <summary>mOS <c>mtcp_settimer</c>: a one-shot timer <paramref name="delay"/> from now on the context clock.</summary>
    public void SetTimer(int timerId, TimeSpan delay, MonitorTimerCallback callback)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        AddUserTimer(timerId, delay.Ticks / TimeSpan.TicksPerMicrosecond, callback);
    }

    /// <summary>
    /// Moves the clock to <paramref name="timestampMicroseconds"/> (never backwards), firing every timer and timeout
    /// due strictly before it (TRACER §5 step 4). The first call also sets the clock 1 µs before that instant for
    /// timers created earlier (setup happens 1 µs before the first frame).
    /// </summary>
    public void AdvanceClock(long timestampMicroseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        AdvanceClockCore(timestampMicroseconds, inclusive: false);
    }

    /// <summary>
    /// Sharding: brings the clock to <paramref name="timestampMicroseconds"/> (never backwards), firing everything due
    /// up to and including it, as the frames that other contexts processed would have in one context: after a frame
    /// at that instant, one context has fired every timer due by then. Nothing before the first frame of the input.
    /// </summary>
    internal void CatchUpClock(long timestampMicroseconds)
    {
        if (timestampMicroseconds != long.MinValue)
            AdvanceClockCore(timestampMicroseconds, inclusive: true);
    }

    /// <summary>How long a live <see cref="Run"/> waits for a frame before it moves the clock to the wall clock.</summary>
    public static readonly TimeSpan LiveIdleInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How far behind the wall clock a quiet live link moves the clock: a capture hands packets over some time after
    /// it stamped them (an AF_PACKET ring, when its block retire timer runs, 10–40 ms here), and the clock must not
    /// pass a packet that is still on its way. Otherwise that packet would be seen at the later clock time (its
    /// flow's times skewed) and after timers that were due only after it. Timers fire this much late on a quiet link.
    /// </summary>
    public static readonly TimeSpan LiveClockLag = TimeSpan.FromMilliseconds(100);

    /// <summary>A quiet live link: the clock moves to the wall clock less <see cref="LiveClockLag"/>.</summary>
    internal void AdvanceToWallClock() =>
        AdvanceClock((DateTimeOffset.UtcNow - LiveClockLag).ToUnixTimeMilliseconds() * 1000);

    /// <summary>
    /// Feeds every frame of <paramref name="source"/> to the context (<see cref="ProcessPacket(ReadOnlySpan{byte}, int, long, int, PacketFlags)"/>)
    /// until the input ends or <paramref name="cancellationToken"/> is cancelled. A file drives the clock with its
    /// capture times (offline, deterministic). A live source (<see cref="IFrameSource.IsLive"/>) is read with a
    /// timeout: whenever no frame came for <see cref="LiveIdleInterval"/>, the clock moves to the wall clock (less
    /// <see cref="LiveClockLag"/>), so timers
    /// and idle timeouts fire when they are due, not when the next frame comes (as on mOS's live core). The context is
    /// not finished: call <see cref="Finish"/> for end-of-input semantics. Returns the capture time of the last frame
    /// (µs), or <see cref="long.MinValue"/> if none came. Input faults (a corrupt file, a capture whose interface went
    /// down) propagate, after every frame before them was processed.
    /// </summary>
    public long Run(IFrameSource source, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(source);
        long last = long.MinValue;
        int timeout = source.IsLive ? (int)LiveIdleInterval.TotalMilliseconds : -1;
        while (!cancellationToken.IsCancellationRequested)
        {
            switch (source.Read(out ReadOnlySpan<byte> frame, out int linkType, out long us, out int wire, out PacketFlags flags, timeout))
            {
                case PacketReadResult.Packet:
                    ProcessPacket(frame, linkType, us, wire, flags);
                    last = us;
                    break;
                case PacketReadResult.Timeout:
                    AdvanceToWallClock();
                    break;
                default:
                    return last;
            }
        }
        return last;
    }

    /// <summary>End of input: moves the clock to <paramref name="timestampMicroseconds"/> firing everything due up to and including it. Open flows get no teardown.</summary>
    public void Finish(long timestampMicroseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        AdvanceClockCore(timestampMicroseconds, inclusive: true);
    }

    // ----- packets -----

    /// <summary>
    /// Processes one frame captured at <paramref name="timestampMicroseconds"/>: timers due before it, the packet
    /// (raw PacketIn, flow events or orphans), timers due at its instant, then ConnectionNewData. The frame is
    /// only read; a rewrite requested by a callback works on a private copy.
    /// </summary>
    public void ProcessPacket(ReadOnlySpan<byte> frame, int linkType, long timestampMicroseconds, int wireLength = -1) =>
        ProcessPacket(frame, linkType, timestampMicroseconds, wireLength, PacketFlags.None);

    /// <summary>
    /// As <see cref="ProcessPacket(ReadOnlySpan{byte}, int, long, int)"/>, with the capture's flags of the frame: a frame
    /// marked <see cref="PacketFlags.ChecksumNotReady"/> (a live capture of a packet this host sent, whose TCP checksum
    /// the NIC or the peer's stack was still to fill in) passes the TCP checksum check of
    /// <see cref="MonitorContextOptions.VerifyChecksums"/>, which its bytes would fail.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // the caller's loop may stay precompiled (R2R); this body tiers up
    public unsafe void ProcessPacket(ReadOnlySpan<byte> frame, int linkType, long timestampMicroseconds, int wireLength, PacketFlags flags)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _checksumNotReady = (flags & PacketFlags.ChecksumNotReady) != 0;
        AdvanceClockCore(timestampMicroseconds, inclusive: false);
        fixed (byte* f = frame)
            ProcessFrame(f, frame.Length, linkType, timestampMicroseconds, wireLength < 0 ? frame.Length : wireLength, writable: false);
        AfterFrame(timestampMicroseconds);
    }

    /// <summary>As <see cref="ProcessPacket(ReadOnlySpan{byte}, int, long, int)"/>, for a frame the callbacks may rewrite in place (inline mode).</summary>
    public unsafe void ProcessWritablePacket(Span<byte> frame, int linkType, long timestampMicroseconds, int wireLength = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _checksumNotReady = false;
        AdvanceClockCore(timestampMicroseconds, inclusive: false);
        fixed (byte* f = frame)
            ProcessFrame(f, frame.Length, linkType, timestampMicroseconds, wireLength < 0 ? frame.Length : wireLength, writable: true);
        AfterFrame(timestampMicroseconds);
    }

    /// <summary>The client and server states of every flow still open (at the end of input).</summary>
    public IEnumerable<(TcpState Client, TcpState Server)> OpenFlowStates() => OpenFlowStatesCore();

    /// <summary>True inside a callback that has a current packet (not during CONN_NEW_DATA, teardown or timers); cheaper than <see cref="TryGetLastPacket"/>.</summary>
    public bool HasCurrentPacket => _hasPacket;

    /// <summary>mOS <c>mtcp_getlastpkt</c>: the packet being processed; false (AccessDenied) where there is none (ConnectionNewData, ConnectionEnd, timers).</summary>
    public bool TryGetLastPacket(out PacketView packet) => GetLastPacket(out packet);

    /// <summary>mOS <c>mtcp_setlastpkt(MOS_DROP)</c>: the current frame is not forwarded (inline mode; B12, B30).</summary>
    public MonitorError DropPacket() => DropCurrentPacket();

    /// <summary>
    /// mOS <c>mtcp_setlastpkt(MOS_OVERWRITE)</c>: overwrite bytes of a layer of the current packet, optionally
    /// updating the IPv4 header and TCP checksums. A rewrite of the first SYN at the Send hook changes the key the
    /// server side is created with (NAT).
    /// </summary>
    public MonitorError OverwritePacket(PacketLayer layer, int offset, ReadOnlySpan<byte> data, bool updateIpChecksum, bool updateTcpChecksum) =>
        OverwriteCurrentPacket(layer, offset, data, updateIpChecksum, updateTcpChecksum);

    public void Dispose()
    {
        _disposed = true;
    }
}

/// <summary>Receives a forwarded frame (inline mode).</summary>
public delegate void FrameSink(ReadOnlySpan<byte> frame, int linkType);

/// <summary>Layers of <see cref="MonitorContext.OverwritePacket"/> (mOS MOS_ETH_HDR, MOS_IP_HDR, MOS_TCP_HDR, MOS_TCP_PAYLOAD).</summary>
public enum PacketLayer
{
    Link,
    Ip,
    Tcp,
    Payload,
}
