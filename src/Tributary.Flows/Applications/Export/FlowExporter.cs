using Tributary.Flows.Internal;

namespace Tributary.Flows.Applications.Export;

/// <summary>
/// Exports every TCP flow a <see cref="MonitorContext"/> tracks as IPFIX records (<see cref="IpfixWriter"/>) when the
/// engine ends it, as a flow meter does: one record per direction that carried packets, flowEndReason 3 when a close
/// (FIN both ways, RST) ended it and 1 when the idle timeout did (the context's TCP timeout). A flow that lasts longer
/// than the active timeout is also exported every active timeout with what it carried since (reason 2, delta counts),
/// so that a collector sees long connections while they last. Flows still open at the end of the input are exported
/// with reason 4 (forced end) by <see cref="Finish"/>. Counting happens in a PacketIn callback at HookPoint.Send, once
/// per packet, from the packet's IP length, TCP flags and capture time; receive buffers are off.
/// </summary>
public sealed class FlowExporter
{
    private readonly IpfixWriter _writer;
    private readonly LinkedList<Tally> _open = new();
    private readonly long _activeUs;
    private readonly MonitorTimerCallback _onActive;
    // Active timeouts: when each flow's current counts are due (stale entries are skipped), and the earliest armed timer.
    // The sequence makes records due at the same moment come out in the order they were scheduled, heap shape aside.
    private readonly PriorityQueue<LinkedListNode<Tally>, (long Due, long Sequence)> _due = new();
    private readonly TimerQueueCompactor<LinkedListNode<Tally>, (long Due, long Sequence)> _dueCompactor;
    private long _dueSequence;
    private long _armedUs = long.MaxValue;
    private const int ActiveTimerId = 0x4950;

    /// <param name="context">The context whose flows are exported (a stream listener is created on it).</param>
    /// <param name="writer">Where the records go.</param>
    /// <param name="activeTimeout">How long a flow runs before a record of what it carried so far; zero: only at its end.</param>
    public FlowExporter(MonitorContext context, IpfixWriter writer, TimeSpan activeTimeout)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfLessThan(activeTimeout, TimeSpan.Zero);
        _writer = writer;
        _activeUs = activeTimeout.Ticks / TimeSpan.TicksPerMicrosecond;
        MonitorSocket listener = context.CreateStreamListener();
        listener.DisableBuffer(Side.Client);
        listener.DisableBuffer(Side.Server);
        listener.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Send, OnPacket);
        listener.RegisterCallback(MonitorEvent.Timeout, HookPoint.Send, OnTimeout);
        listener.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Send, OnEnd);
        _onActive = OnActiveTimer;
        // Flows that ended before their active timeout leave an entry behind: dropped before they pile up (soak).
        _dueCompactor = new(_due, static (node, prio) => IsDue(node, prio.Due));
    }

    /// <summary>Entries in the active-timeout queue, stale ones included (soak tests).</summary>
    internal int DueQueueCount => _due.Count;

    /// <summary>Queue size below which stale entries are left alone; <see cref="int.MaxValue"/>: never compacted (tests).</summary>
    internal int DueCompactionFloor
    {
        get => _dueCompactor.Floor;
        set => _dueCompactor.Floor = value;
    }

    /// <summary>Rebuilds of the active-timeout queue so far (tests).</summary>
    internal long DueCompactions => _dueCompactor.Compactions;

    /// <summary>Flows exported at their end (or at <see cref="Finish"/>).</summary>
    public long ExportedFlows { get; private set; }

    /// <summary>Flows now open.</summary>
    public int OpenFlows => _open.Count;

    /// <summary>End of input: the flows still open are exported (forced end), and the last message is sent.</summary>
    public void Finish()
    {
        while (_open.First is { } node)
            Export(node, 4);
        _writer.Flush();
    }

    private void OnPacket(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (!context.TryGetLastPacket(out PacketView p) || !p.HasTcpHeader)
            return;
        if (socket.UserContext is not LinkedListNode<Tally> node)
        {
            if (socket.UserContext is not null || socket.TryGetPeerNames(out FlowEndpoint client, out FlowEndpoint server) != MonitorError.None)
                return; // exported already, or no flow
            node = _open.AddLast(new Tally(client, server));
            socket.UserContext = node;
        }
        Tally t = node.Value;
        bool fresh = t.Since is null;
        t.Direction(side).Add(p.IpLength, p.TcpFlags, p.TimestampMicroseconds);
        if (fresh && _activeUs > 0)
            Schedule(context, node, t.Since!.Value + _activeUs);
    }

    /// <summary>The flow's counts are due at <paramref name="dueUs"/>: one timer, for the earliest due flow, is armed at a time.</summary>
    private void Schedule(MonitorContext context, LinkedListNode<Tally> node, long dueUs)
    {
        node.Value.DueUs = dueUs;
        _due.Enqueue(node, (dueUs, _dueSequence++));
        _dueCompactor.AfterEnqueue();
        if (dueUs < _armedUs)
        {
            _armedUs = dueUs;
            context.SetTimer(ActiveTimerId, TimeSpan.FromMicroseconds(Math.Max(0, dueUs - context.ClockMicroseconds)), _onActive);
        }
    }

    private void OnActiveTimer(MonitorContext context, int timerId)
    {
        long now = context.ClockMicroseconds;
        if (now < _armedUs)
            return; // an earlier timer, superseded
        _armedUs = long.MaxValue;
        while (_due.TryPeek(out LinkedListNode<Tally>? node, out var due) && due.Due <= now)
        {
            _due.Dequeue();
            if (IsDue(node, due.Due))
                Write(node.Value, 2); // what it carried for an active timeout; its next packet starts the next
        }
        if (_due.TryPeek(out _, out var first))
        {
            long next = first.Due;
            _armedUs = next;
            context.SetTimer(ActiveTimerId, TimeSpan.FromMicroseconds(Math.Max(0, next - now)), _onActive);
        }
    }

    /// <summary>Whether a queued entry still stands: its flow is open, and was not rescheduled since.</summary>
    private static bool IsDue(LinkedListNode<Tally> node, long dueUs) => node.List is not null && node.Value.DueUs == dueUs;

    private void OnTimeout(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (socket.UserContext is LinkedListNode<Tally> node)
            node.Value.TimedOut = true;
    }

    private void OnEnd(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        // CONN_END comes once per side: the first exports, the second finds the flow gone.
        if (socket.UserContext is not LinkedListNode<Tally> node)
            return;
        Export(node, node.Value.TimedOut ? (byte)1 : (byte)3);
        socket.UserContext = Exported;
    }

    /// <summary>Marks a flow socket whose flow was exported.</summary>
    private static readonly object Exported = new();

    private void Export(LinkedListNode<Tally> node, byte reason)
    {
        Write(node.Value, reason);
        _open.Remove(node);
        ExportedFlows++;
    }

    private void Write(Tally t, byte reason)
    {
        Emit(t.ToServer, t.Client, t.Server, reason, 1);
        Emit(t.ToClient, t.Server, t.Client, reason, 2);
    }

    private void Emit(Counts c, FlowEndpoint from, FlowEndpoint to, byte reason, byte direction)
    {
        if (c.Packets == 0)
            return;
        _writer.Write(new IpfixFlowRecord(from.IpVersion, from.Address, from.Port, to.Address, to.Port,
            FloorMs(c.FirstUs), FloorMs(c.LastUs), c.Flags, c.Octets, c.Packets, reason, direction));
        c.Reset();
    }

    private static long FloorMs(long us) => us >= 0 ? us / 1000 : -((-us + 999) / 1000);

    private sealed class Tally(FlowEndpoint client, FlowEndpoint server)
    {
        public FlowEndpoint Client { get; } = client;
        public FlowEndpoint Server { get; } = server;
        public Counts ToServer { get; } = new();
        public Counts ToClient { get; } = new();
        public bool TimedOut { get; set; }
        /// <summary>When the current counts are due for an active-timeout record (µs).</summary>
        public long DueUs { get; set; }

        /// <summary>When the counts not yet exported began (the earlier direction's first packet), or null.</summary>
        public long? Since => (ToServer.Packets, ToClient.Packets) switch
        {
            (0, 0) => null,
            (0, _) => ToClient.FirstUs,
            (_, 0) => ToServer.FirstUs,
            _ => Math.Min(ToServer.FirstUs, ToClient.FirstUs),
        };

        /// <summary>The counts of what <paramref name="sender"/> sent.</summary>
        public Counts Direction(Side sender) => sender == Side.Client ? ToServer : ToClient;
    }

    private sealed class Counts
    {
        public long Packets { get; private set; }
        public long Octets { get; private set; }
        public ushort Flags { get; private set; }
        public long FirstUs { get; private set; }
        public long LastUs { get; private set; }

        public void Add(int ipLength, byte flags, long us)
        {
            if (Packets == 0 || us < FirstUs)
                FirstUs = us;
            if (Packets == 0 || us > LastUs)
                LastUs = us;
            Packets++;
            Octets += ipLength;
            Flags |= flags;
        }

        public void Reset() => (Packets, Octets, Flags) = (0, 0, 0);
    }
}
