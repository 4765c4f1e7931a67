using System.Runtime.CompilerServices;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>
/// The two-sided model (INVENTORY §3 step 11, §6): each packet updates the sender's side (then HK_SND), then the
/// receiver's side including reassembly (then HK_RCV); destruction when both sides are done.
/// </summary>
public sealed partial class MonitorContext
{
    private const ulong EvPacketIn = (ulong)MonitorEvent.PacketIn;
    private const ulong EvStart = (ulong)MonitorEvent.ConnectionStart;
    private const ulong EvStateChange = (ulong)MonitorEvent.TcpStateChange;
    private const ulong EvRexmit = (ulong)MonitorEvent.Retransmission;
    private const ulong EvEnd = (ulong)MonitorEvent.ConnectionEnd;
    private const ulong EvTimeout = (ulong)MonitorEvent.Timeout;

    private const byte StClosed = (byte)TcpState.Closed;
    private const byte StListen = (byte)TcpState.Listen;
    private const byte StSynSent = (byte)TcpState.SynSent;
    private const byte StSynRcvd = (byte)TcpState.SynReceived;
    private const byte StEstablished = (byte)TcpState.Established;
    private const byte StFinWait1 = (byte)TcpState.FinWait1;
    private const byte StFinWait2 = (byte)TcpState.FinWait2;
    private const byte StCloseWait = (byte)TcpState.CloseWait;
    private const byte StClosing = (byte)TcpState.Closing;
    private const byte StLastAck = (byte)TcpState.LastAck;
    private const byte StTimeWait = (byte)TcpState.TimeWait;

    private enum DestroyReason
    {
        Closed,
        Idle,
        TimeWait,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref SideState SideOf(ref FlowRecord f, bool client) => ref client ? ref f.Client : ref f.Server;

    private void UpdateMonitor(int flow, bool fromClient, bool created)
    {
        ref FlowRecord f = ref _flows[flow];
        _currentFlow = flow;
        _currentFromClient = fromClient;
        Side senderSide = fromClient ? Side.Client : Side.Server;
        Side receiverSide = fromClient ? Side.Server : Side.Client;
        ref SideState sender = ref SideOf(ref f, fromClient);
        ref SideState receiver = ref SideOf(ref f, !fromClient);
        bool stateChanged = false;

        // 1. Sender side, then HK_SND (client→server: sockets in creation order; server→client: reverse).
        if (sender.Monitored || !_compat)
        {
            ulong ev = EvPacketIn | UpdateSend(flow, ref f, ref sender, fromClient);
            stateChanged |= (ev & EvStateChange) != 0;
            if (sender.Monitored)
            {
                _modificationAllowed = true;
                DispatchFlow(flow, senderSide, HookPoint.Send, ev, forwardOrder: fromClient);
                _modificationAllowed = false;
            }
        }

        // 2. The first SYN creates the server side, keyed by the packet as it is now (after a NAT rewrite).
        if (created && !f.Server.Exists)
        {
            if (!_compat && _dropped && _forward)
            {
                // B30: a dropped first SYN leaves no half-open flow behind.
                DestroyFlow(flow, clientFirst: true, DestroyReason.Closed);
                return;
            }
            CreateServerSide(flow);
        }

        // 3. Receiver side (B12: a packet dropped at HK_SND never reaches the receiver in inline mode).
        if (!(!_compat && _dropped && _forward) && receiver.Exists && (receiver.Monitored || !_compat))
        {
            ref PacketContext p = ref _packet;
            if (p.PayloadLength > 0 && IsDataRetransmission(ref receiver))
            {
                _stats.RetransmissionsField++;
                if (receiver.Monitored)
                    DispatchFlow(flow, receiverSide, HookPoint.Receive, EvRexmit, forwardOrder: fromClient);
            }
            ulong ev = EvPacketIn | UpdateReceive(flow, ref f, ref receiver, ref sender, receiverSide);
            if ((ev & EvRexmit) != 0)
                _stats.RetransmissionsField++;
            stateChanged |= (ev & EvStateChange) != 0;
            if (receiver.Monitored)
                DispatchFlow(flow, receiverSide, HookPoint.Receive, ev, forwardOrder: fromClient);
        }

        if (_timeWaitSeconds > 0 && (stateChanged || f.Client.State == StTimeWait || f.Server.State == StTimeWait))
            ScheduleTimeWaits(flow);

        // 5. Destroy when both sides are done: the receiver's side first.
        if (IsDone(ref f.Client) && IsDone(ref f.Server))
            DestroyFlow(flow, clientFirst: !fromClient, DestroyReason.Closed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsDone(ref SideState x) =>
        x.IsClosed || (x.State == StTimeWait && _timeWaitSeconds == 0) || (_compat && !x.Monitored) || !x.Exists;

    /// <summary>Sender-side transitions (mOS <c>UpdatePassiveSendTCPContext</c>, INVENTORY §6.1).</summary>
    private ulong UpdateSend(int flow, ref FlowRecord f, ref SideState s, bool fromClient)
    {
        ref PacketContext p = ref _packet;
        byte flags = p.Flags;
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && s.State <= StSynSent)
        {
            ulong ev = s.State < StSynSent ? EvStart | EvStateChange : 0;
            s.Iss = p.Seq;
            s.SndNxt = p.Seq + 1;
            s.State = StSynSent;
            f.LastActiveTick = _ticks;
            ScheduleIdle(flow);
            return ev;
        }
        if ((flags & TcpFlags.Ack) != 0 && fromClient)
            f.LastActiveTick = _ticks; // INVENTORY §6.7: client ACKs keep the flow alive
        s.SndNxt = p.Seq + (uint)p.PayloadLength;
        if ((flags & TcpFlags.Rst) != 0)
        {
            s.HaveReset = true;
            SetClosed(ref s);
            return EvStateChange;
        }
        switch (s.State)
        {
            case StSynRcvd:
                if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
                {
                    s.Iss = p.Seq;
                    s.SndNxt = p.Seq + 1;
                }
                return 0;
            case StEstablished:
                if ((flags & TcpFlags.Fin) != 0)
                {
                    s.State = StFinWait1;
                    s.Fss = p.Seq + (uint)p.PayloadLength;
                    s.IsFinSent = true;
                    s.SndNxt++;
                    return EvStateChange;
                }
                return 0;
            case StCloseWait:
                if ((flags & TcpFlags.Fin) != 0)
                {
                    s.Fss = p.Seq + (uint)p.PayloadLength;
                    s.IsFinSent = true;
                    s.SndNxt++;
                    // INVENTORY §6.1: LAST_ACK if the FIN acks everything this side received, else CLOSING (S06).
                    s.State = p.Ack == s.RcvNxt ? StLastAck : StClosing;
                    return EvStateChange;
                }
                return 0;
            default:
                return 0;
        }
    }

    /// <summary>Receiver-side transitions (mOS/mTCP <c>UpdateRecvTCPContext</c>, INVENTORY §6.2).</summary>
    private ulong UpdateReceive(int flow, ref FlowRecord f, ref SideState r, ref SideState s, Side side)
    {
        ref PacketContext p = ref _packet;
        byte flags = p.Flags;
        ulong ev = 0;
        if (side == Side.Client)
            f.LastActiveTick = _ticks; // anything the client receives keeps the flow alive

        if ((flags & TcpFlags.Rst) != 0)
        {
            r.HaveReset = true;
            if (r.State > StSynSent)
            {
                if (Options.ValidateRst && p.Seq != r.RcvNxt)
                {
                    RaiseError(flow, side); // B11 (RFC 5961 §3.2): an out-of-window RST is ignored
                    return ev;
                }
                if (r.State == StSynRcvd)
                {
                    if (p.Seq == 0 || p.Ack == r.SndNxt)
                    {
                        SetClosed(ref r);
                        ev |= EvStateChange;
                    }
                    return ev;
                }
                // ProcessRST: every later state closes; mOS does no window check (S05).
                SetClosed(ref r);
                return ev | EvStateChange;
            }
        }

        if ((flags & TcpFlags.Fin) != 0 && r.State is StCloseWait or StLastAck or StClosing or StTimeWait && p.Seq == s.Fss)
            ev |= EvRexmit; // FIN retransmission (S16)

        switch (r.State)
        {
            case StListen:
                if ((flags & TcpFlags.Syn) != 0)
                {
                    r.State = StSynRcvd;
                    ev |= EvStateChange | EvStart;
                    r.Irs = r.RcvNxt = p.Seq;
                }
                break;

            case StSynSent:
                ev |= ReceiveInSynSent(ref r);
                break;

            case StSynRcvd:
                if ((flags & TcpFlags.Syn) != 0 && (flags & TcpFlags.Ack) == 0 && p.Seq == r.Irs)
                {
                    if (_compat)
                    {
                        // B4: mOS re-runs the LISTEN handler for a retransmitted SYN.
                        r.State = StSynRcvd;
                        ev |= EvStateChange | EvStart;
                        r.Irs = r.RcvNxt = p.Seq;
                    }
                    else
                    {
                        ev |= EvRexmit;
                    }
                }
                else if ((flags & TcpFlags.Ack) != 0)
                {
                    // The handshake's ACK (its ack number is not validated); data on it is processed at once (S19).
                    r.SndNxt = p.Ack;
                    r.RcvNxt = r.Irs + 1;
                    r.RcvNextOffset = 0;
                    r.State = StEstablished;
                    ev |= EvStateChange;
                    if (p.PayloadLength > 0 || (!_compat && (flags & TcpFlags.Fin) != 0))
                        ev |= ReceiveInEstablished(flow, ref r, ref s, side);
                }
                break;

            case StEstablished:
                ev |= ReceiveInEstablished(flow, ref r, ref s, side);
                break;

            case StCloseWait:
                // Payload after the peer's FIN is ignored in mOS (S14); the default flags it (B3b).
                if (!_compat)
                    DataBeyondFin(flow, ref s, side);
                break;

            case StLastAck:
                if (!_compat)
                    DataBeyondFin(flow, ref s, side);
                if (Seq.Lt(p.Seq, r.RcvNxt))
                    break;
                if ((flags & TcpFlags.Ack) != 0 && r.IsFinSent && p.Ack == r.Fss + 1)
                {
                    SetClosed(ref r);
                    ev |= EvStateChange;
                }
                break;

            case StFinWait1:
                if (Seq.Lt(p.Seq, r.RcvNxt) || (flags & TcpFlags.Ack) == 0)
                    break;
                if (r.IsFinSent && p.Ack == r.Fss + 1)
                {
                    r.State = StFinWait2;
                    ev |= EvStateChange;
                }
                ev |= ReceiveDataAndFin(flow, ref r, ref s, side);
                break;

            case StFinWait2:
                if ((flags & TcpFlags.Ack) == 0)
                    break;
                ev |= ReceiveDataAndFin(flow, ref r, ref s, side);
                break;

            case StClosing:
                if (!_compat)
                    DataBeyondFin(flow, ref s, side);
                if ((flags & TcpFlags.Ack) != 0 && r.IsFinSent && p.Ack == r.Fss + 1)
                {
                    EnterTimeWait(ref r);
                    ev |= EvStateChange;
                }
                break;

            case StTimeWait:
                if (!_compat)
                    DataBeyondFin(flow, ref s, side);
                r.TimeWaitSinceUs = _clockUs; // a segment in TIME_WAIT restarts the hold
                break;
        }
        return ev;
    }

    private ulong ReceiveInSynSent(ref SideState r)
    {
        ref PacketContext p = ref _packet;
        byte flags = p.Flags;
        if ((flags & TcpFlags.Ack) != 0 && (Seq.Leq(p.Ack, r.Iss) || Seq.Gt(p.Ack, r.SndNxt)))
            return 0; // unacceptable ACK (S04)
        if ((flags & TcpFlags.Rst) != 0)
        {
            if ((flags & TcpFlags.Ack) != 0)
            {
                SetClosed(ref r);
                return EvStateChange;
            }
            return 0;
        }
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
        {
            r.Irs = p.Seq;
            r.SndNxt = p.Ack;
            r.RcvNxt = p.Seq + 1;
            r.RcvNextOffset = 0;
            r.State = StEstablished;
            return EvStateChange;
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            r.State = StSynRcvd; // simultaneous open
            r.SndNxt = r.Iss;
            return EvStateChange;
        }
        return 0;
    }

    private ulong ReceiveInEstablished(int flow, ref SideState r, ref SideState s, Side side)
    {
        ref PacketContext p = ref _packet;
        byte flags = p.Flags;
        if ((flags & TcpFlags.Syn) != 0)
        {
            ulong ev = 0;
            if ((flags & TcpFlags.Ack) != 0 && p.Seq == s.Iss)
                ev |= EvRexmit; // SYN/ACK retransmission (S18)
            else if (!_compat && (flags & TcpFlags.Ack) == 0 && side == Side.Server && p.Seq == r.Irs)
                ev |= EvRexmit; // B4: a late retransmitted SYN
            r.SndNxt = p.Ack;
            return ev;
        }
        ulong result = 0;
        if (p.PayloadLength > 0)
            result |= ReceivePayload(flow, ref r, side);
        if ((flags & TcpFlags.Fin) != 0)
        {
            if (FinInSequence(ref r))
            {
                r.State = StCloseWait;
                result |= EvStateChange;
                r.RcvNxt++;
                if (_compat)
                    QueueNewData(flow, side); // mOS "notifies the FIN to the application" (B2, spurious)
            }
        }
        return result;
    }

    /// <summary>FIN_WAIT_1/FIN_WAIT_2: payload (buffered, no CONN_NEW_DATA in mOS, B3a) then the peer's FIN.</summary>
    private ulong ReceiveDataAndFin(int flow, ref SideState r, ref SideState s, Side side)
    {
        ref PacketContext p = ref _packet;
        ulong ev = 0;
        if (p.PayloadLength > 0)
            ev |= ReceivePayload(flow, ref r, side);
        if ((p.Flags & TcpFlags.Fin) != 0 && FinInSequence(ref r))
        {
            r.RcvNxt++;
            if (r.State == StFinWait1)
            {
                r.State = StClosing;
                ev |= EvStateChange;
            }
            else if (r.State == StFinWait2)
            {
                EnterTimeWait(ref r);
                ev |= EvStateChange;
            }
        }
        return ev;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool FinInSequence(ref SideState r)
    {
        ref PacketContext p = ref _packet;
        // Strict build: the FIN must follow the received data exactly. mOS skips the check without buffer
        // management, where rcv_nxt is frozen (B17); the default tracks rcv_nxt without buffers too.
        return (_compat && !r.BufferManaged) || p.Seq + (uint)p.PayloadLength == r.RcvNxt;
    }

    /// <summary>B3b: payload at or beyond the sender's FIN raises ERROR on the receiving side and is discarded.</summary>
    private bool DataBeyondFin(int flow, ref SideState sender, Side side)
    {
        ref PacketContext p = ref _packet;
        if (p.PayloadLength == 0 || !sender.IsFinSent || !Seq.Gt(p.Seq + (uint)p.PayloadLength, sender.Fss))
            return false;
        RaiseError(flow, side);
        return true;
    }

    private void EnterTimeWait(ref SideState x)
    {
        x.State = StTimeWait;
        x.TimeWaitSinceUs = _clockUs;
        x.DoneSinceUs = _clockUs;
    }

    private void SetClosed(ref SideState x)
    {
        x.State = SideState.ClosedReserved;
        x.DoneSinceUs = _clockUs;
    }

    // ------------------------------------------------------------------ payload and reassembly

    /// <summary>
    /// mOS <c>ProcessTCPPayload</c> (INVENTORY §9): window check, lazy buffer allocation, buffer-outrun ERROR,
    /// write with the overlap policy, rcv_nxt from the contiguous end, CONN_NEW_DATA when it advanced.
    /// </summary>
    private ulong ReceivePayload(int flow, ref SideState r, Side side)
    {
        ref PacketContext p = ref _packet;
        if (_compat)
        {
            if (!r.BufferManaged)
                return 0; // B17: mOS does nothing with payload when buffers are off
        }
        else if (!r.BufferManaged || !r.Monitored || r.BufferFailed)
        {
            TrackSequenceOnly(ref r, p.Seq, p.PayloadLength);
            return 0;
        }
        uint segEnd = p.Seq + (uint)p.PayloadLength;
        if (Seq.Lt(segEnd, r.RcvNxt))
            return 0; // entirely old
        if (Seq.Gt(segEnd, r.RcvNxt + r.RcvWnd))
        {
            RaiseError(flow, side); // beyond the receive window (S23)
            return 0;
        }
        if (r.Buffer < 0)
        {
            if (!TryAllocateBuffer(ref r))
            {
                if (_compat)
                {
                    // B32: mOS closes the side and prints its diagnostic, without ERROR.
                    Diagnostic("ProcessTCPPayload", 590, $"Stream {r.StreamNumber}: Failed to allocate receive buffer.");
                    SetClosed(ref r);
                    return EvStateChange;
                }
                r.BufferFailed = true;
                RaiseError(flow, side);
                TrackSequenceOnly(ref r, p.Seq, p.PayloadLength);
                return 0;
            }
        }
        ReceiveBuffer buf = _buffers[r.Buffer];
        long off = (uint)(p.Seq - (r.Irs + 1));
        while (off < buf.Head)
            off += 1L << 32;
        buf.SetPile(buf.Pile + buf.ContiguousLengthFromPile);
        long needed = buf.FastForwardNeeded(off + p.PayloadLength);
        if (needed > 0)
            RaiseOutrunErrors(flow, side, buf.Head + needed);
        ReadOnlySpan<byte> payload = p.Payload;
        int written = buf.Write(payload, off);
        if (written < 0 && !_compat && off >= 1L << 32 && off - (1L << 32) < buf.Head)
        {
            // Default: a segment reaching back before the buffer head keeps its new part.
            long start = off - (1L << 32);
            int skip = (int)(buf.Head - start);
            if (skip < payload.Length)
                buf.Write(payload[skip..], buf.Head);
        }
        if (_compat && r.State is StFinWait1 or StFinWait2)
            buf.SetPile(buf.ContiguousEnd); // mTCP "application closed": the data is discarded
        long cfTail = buf.ContiguousEnd;
        bool advanced = false;
        uint newNext = r.Irs + 1 + (uint)cfTail;
        if (cfTail > 0 && Seq.Gt(newNext, r.RcvNxt))
        {
            r.RcvNxt = newNext;
            r.RcvNextOffset = cfTail;
            advanced = true;
        }
        r.RcvWnd = (uint)(buf.Capacity - (cfTail - buf.Pile));
        if (advanced && (!_compat || r.State == StEstablished))
            QueueNewData(flow, side); // B3a: default mode reports new bytes in every state
        return 0;
    }

    /// <summary>DEVIATIONS N4/B17: rcv_nxt and out-of-order ranges of a side without receive buffer.</summary>
    private void TrackSequenceOnly(ref SideState r, uint seq, int length)
    {
        int d = Seq.Delta(seq, r.RcvNxt);
        long start = r.RcvNextOffset + d;
        long end = start + length;
        if (end <= r.RcvNextOffset)
            return;
        if (start <= r.RcvNextOffset)
        {
            long next = end;
            if (r.Ranges >= 0)
            {
                RangeSet set = _ranges[r.Ranges];
                next = set.Absorb(next);
                if (set.Count == 0)
                    ReleaseRanges(ref r);
            }
            r.RcvNxt += (uint)(next - r.RcvNextOffset);
            r.RcvNextOffset = next;
            return;
        }
        if (d > (1 << 30))
            return; // far beyond anything plausible: not worth remembering
        if (r.Ranges < 0)
            r.Ranges = AllocateRanges();
        _ranges[r.Ranges].Add(start, end);
    }

    /// <summary>REXMIT pre-check: buffered sides use mOS's overlap with held bytes; unbuffered sides (default) the sequence space (N4).</summary>
    private bool IsDataRetransmission(ref SideState r)
    {
        ref PacketContext p = ref _packet;
        if (r.Buffer >= 0)
        {
            ReceiveBuffer buf = _buffers[r.Buffer];
            long off = (uint)(p.Seq - (r.Irs + 1));
            while (off < buf.Head)
                off += 1L << 32;
            return buf.Overlaps(off, off + p.PayloadLength);
        }
        if (_compat || (r.BufferManaged && r.Monitored && !r.BufferFailed))
            return false;
        if (r.State < StEstablished || r.State == SideState.ClosedReserved || (p.Flags & TcpFlags.Syn) != 0)
            return false;
        long start = r.RcvNextOffset + Seq.Delta(p.Seq, r.RcvNxt);
        long end = start + p.PayloadLength;
        if (start < r.RcvNextOffset && end > 0)
            return true;
        return r.Ranges >= 0 && _ranges[r.Ranges].Overlaps(start, end);
    }

    private bool TryAllocateBuffer(ref SideState r)
    {
        int size = Options.ReceiveBufferSize;
        if (size % 1024 != 0 || size < 2)
            return false; // mOS tcprb_new refuses (B31 in MosCompat)
        int handle;
        if (_freeBuffers.Count > 0)
        {
            handle = _freeBuffers.Pop();
        }
        else
        {
            if (_buffers.Count >= Options.MaxConcurrency)
                return false;
            handle = _buffers.Count;
            _buffers.Add(new ReceiveBuffer(size));
        }
        ReceiveBuffer b = _buffers[handle];
        b.Reset();
        b.Policy = r.OverlapLast ? OverlapPolicy.Last : OverlapPolicy.First;
        r.Buffer = handle;
        return true;
    }

    private void ReleaseBuffer(ref SideState r)
    {
        if (r.Buffer >= 0)
        {
            _freeBuffers.Push(r.Buffer);
            r.Buffer = -1;
        }
    }

    private int AllocateRanges()
    {
        if (_freeRanges.Count > 0)
        {
            int h = _freeRanges.Pop();
            _ranges[h].Clear();
            return h;
        }
        _ranges.Add(new RangeSet());
        return _ranges.Count - 1;
    }

    private void ReleaseRanges(ref SideState r)
    {
        if (r.Ranges >= 0)
        {
            _freeRanges.Push(r.Ranges);
            r.Ranges = -1;
        }
    }

    // ------------------------------------------------------------------ destruction

    private void DestroyFlow(int flow, bool clientFirst, DestroyReason reason)
    {
        ref FlowRecord f = ref _flows[flow];
        if (f.Destroying || !f.InUse)
            return;
        f.Destroying = true;
        bool savedHas = _hasPacket;
        int savedFlow = _currentFlow;
        _hasPacket = false; // teardown callbacks carry no packet (INVENTORY §6.6)
        _currentFlow = flow;
        for (int k = 0; k < 2; k++)
        {
            bool isClient = (k == 0) == clientFirst;
            ref SideState x = ref SideOf(ref f, isClient);
            if (!x.Exists)
                continue;
            if (!x.IsClosed)
                x.State = SideState.ClosedReserved;
            Side side = isClient ? Side.Client : Side.Server;
            if (!_compat || x.Monitored)
            {
                ulong ev = EvEnd | EvStateChange | (reason == DestroyReason.Idle && !_compat ? EvTimeout : 0);
                for (MonitorSocket? s = f.FirstSocket; s is not null; s = s.NextInFlow)
                {
                    if (s.Detached || s.IsStopped(side))
                        continue;
                    DispatchSocket(s, side, HookPoint.Receive, ev);
                    DispatchSocket(s, side, HookPoint.Send, ev);
                }
            }
            x.Destroyed = true;
        }
        _hasPacket = savedHas;
        _currentFlow = savedFlow;

        _table.Remove(f.ClientHash, flow << 1);
        if (f.ServerKeyed)
            _table.Remove(f.ServerHash, (flow << 1) | 1);
        ReleaseBuffer(ref f.Client);
        ReleaseBuffer(ref f.Server);
        ReleaseRanges(ref f.Client);
        ReleaseRanges(ref f.Server);
        UnlinkIdle(flow);
        for (MonitorSocket? s = f.FirstSocket; s is not null;)
        {
            MonitorSocket? next = s.NextInFlow;
            ReleaseFlowSocket(s);
            s = next;
        }
        _stats.DestroyedField++;
        if (reason == DestroyReason.Idle)
            _stats.TimeoutsField++;
        else
            _stats.ClosedField++;
        FreeFlow(flow);
    }
}
