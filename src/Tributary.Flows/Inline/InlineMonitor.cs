using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Capture.Live;

namespace Tributary.Flows.Inline;

/// <summary>
/// A two-interface middlebox (mOS inline mode, INVENTORY §15, <c>nic_forward_table</c>): every frame received on one
/// interface runs through the <see cref="MonitorContext"/> and is sent out of the other unless a callback dropped it
/// (<see cref="MonitorContext.DropPacket"/>); rewrites (<see cref="MonitorContext.OverwritePacket"/>) go out as made;
/// <see cref="MonitorContext.SendPacket"/> injects. The context runs on the wall clock and is only touched by
/// <see cref="Run"/>'s thread. Interfaces are opened in the caller's network namespace.
/// A frame whose TCP or UDP checksum its sender left to the NIC (<see cref="PacketFlags.ChecksumNotReady"/>) gets it
/// finished before anything else. A TCP super-frame (a sender's TSO/GSO frame that crossed a veth, or a GRO merge on
/// the box's interface) runs through the engine as the one packet it is and leaves as segments that fit the outgoing
/// link's MTU, at the sender's segment size (<see cref="PacketSender"/>); a UDP GSO super-datagram (a QUIC sender's
/// <c>UDP_SEGMENT</c>) leaves as the sender's datagrams; other frames above the MTU are dropped and counted
/// (<see cref="OversizedFrames"/>). Turn GRO off on the box's interfaces to see every wire segment as a packet.
/// </summary>
public sealed class InlineMonitor : IDisposable
{
    private readonly MonitorContext _context;
    private readonly LiveCapture _inA, _inB;
    private readonly PacketSender _outA, _outB;
    private PacketSender? _forwardTo;
    private PacketSender? _backTo;
    private int _segmentSize; // of the frame being processed (0: not a super-frame, or unknown)
    private volatile bool _stop;

    public InlineMonitor(MonitorContext context, string interfaceA, string interfaceB)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Options.Forward)
            throw new ArgumentException("inline mode needs Forward = true", nameof(context));
        _context = context;
        var options = new LiveCaptureOptions { IgnoreOutgoing = true, BlockTimeoutMilliseconds = 1, BlockCount = 16, SegmentSizes = true };
        LiveCapture? inA = null, inB = null;
        PacketSender? outA = null;
        try
        {
            inA = LiveCapture.Open(interfaceA, options);
            inB = LiveCapture.Open(interfaceB, options);
            outA = PacketSender.Open(interfaceA);
            _outB = PacketSender.Open(interfaceB);
        }
        catch
        {
            // The interfaces opened before the one that failed would stay open (and capturing) for nobody.
            inA?.Dispose();
            inB?.Dispose();
            outA?.Dispose();
            throw;
        }
        (_inA, _inB, _outA) = (inA, inB, outA);
        context.ForwardSink = (frame, _) => _forwardTo!.TrySend(frame, _segmentSize);
        context.InjectSink = (frame, _, along) => (along ? _forwardTo : _backTo)!.TrySend(frame);
    }

    public long ForwardedAToB { get; private set; }
    public long ForwardedBToA { get; private set; }

    /// <summary>Super-frames sent out as several segments (TCP) or as the sender's datagrams (UDP GSO), both directions.</summary>
    public long SegmentedFrames => _outA.PacketsSegmented + _outB.PacketsSegmented;

    /// <summary>Frames above the outgoing MTU that could not be segmented, dropped, both directions.</summary>
    public long OversizedFrames => _outA.PacketsOversized + _outB.PacketsOversized;

    /// <summary>Frames (or segments) the kernel refused for lack of transmit queue space, both directions.</summary>
    public long TransmitQueueDrops => _outA.PacketsDropped + _outB.PacketsDropped;

    /// <summary>
    /// Forwards until <see cref="Stop"/> or cancellation; timers fire on the wall clock while idle. An interface that
    /// goes away or down ends it with a <see cref="CaptureSystemException"/> naming the interface, idle or not.
    /// </summary>
    public void Run(CancellationToken cancellationToken = default)
    {
        bool waitOnB = false;
        while (!_stop && !cancellationToken.IsCancellationRequested)
        {
            bool any = Poll(_inA, _outB, _outA, 0, aToB: true) | Poll(_inB, _outA, _outB, 0, aToB: false);
            if (!any)
            {
                // Idle: wait a little on A and B in turn (the other is polled right after; a wait is also where the
                // kernel's report of an interface gone is seen), and let timers and timeouts run.
                waitOnB = !waitOnB;
                if (waitOnB)
                    Poll(_inB, _outA, _outB, 1, aToB: false);
                else
                    Poll(_inA, _outB, _outA, 1, aToB: true);
                _context.AdvanceToWallClock();
            }
        }
    }

    private bool Poll(LiveCapture input, PacketSender forward, PacketSender back, int timeoutMs, bool aToB)
    {
        if (input.Read(out Packet p, timeoutMs) != PacketReadResult.Packet)
            return false;
        _forwardTo = forward;
        _backTo = back;
        _segmentSize = p.SegmentSize;
        if ((p.Flags & PacketFlags.ChecksumNotReady) != 0)
        {
            // The sender's stack left the TCP or UDP checksum to its NIC (over a veth, to the receiver's stack): the
            // frame leaves this box as plain bytes, which the next stack would drop, so the checksum is finished here,
            // before the engine checks it.
            PacketDecoder.Decode(p.WritableData, p.LinkType, p.OriginalLength, out DecodedPacket d);
            Checksums.UpdateTransport(p.WritableData, d);
        }
        long before = _context.Statistics.Forwarded;
        _context.ProcessWritablePacket(p.WritableData, (int)p.LinkType, p.TimestampNanoseconds / 1000, p.OriginalLength);
        if (_context.Statistics.Forwarded != before)
        {
            if (aToB)
                ForwardedAToB++;
            else
                ForwardedBToA++;
        }
        return true;
    }

    public void Stop()
    {
        _stop = true;
        _inA.Stop();
        _inB.Stop();
    }

    public void Dispose()
    {
        _inA.Dispose();
        _inB.Dispose();
        _outA.Dispose();
        _outB.Dispose();
    }
}
