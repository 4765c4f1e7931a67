using System.Globalization;
using Tributary.Flows.Applications.Trace;

namespace Tributary.Flows.Applications.Midstat;

/// <summary>
/// mOS's midstat sample ("netstat for a middlebox", reference/mos/SAMPLES.md §1) over a <see cref="MonitorContext"/>:
/// the connections crossing the monitor with the emulated state of both endpoints. A stream listener with receive
/// buffers off (midstat only needs states) registers CONN_START at HK_SND (a row is added, in creation order),
/// TCP_STATE_CHANGE at HK_SND and HK_RCV (the changed side's state is stored) and CONN_END at HK_SND (the row goes;
/// CONN_END comes once per side, the second finds nothing). Rows live in the flow socket's user context, not in a list
/// searched by socket id. Flows whose SYN was not seen never appear, unless the context adopts them mid-stream.
/// The callbacks run on the context's thread; <see cref="Snapshot"/>, <see cref="Write"/> and <see cref="WriteRows"/>
/// may run on another (a printer reading every shard's table), so changes and reads take the table's lock.
/// Without buffers, mOS froze the receiver's sequence tracking and showed normal closes as CLOSING/TIME_WAIT (B17);
/// only <see cref="MonitorContextOptions.MosCompat"/> reproduces that.
/// </summary>
public sealed class ConnectionTable
{
    private readonly LinkedList<Entry> _rows = new();
    private readonly Lock _gate = new();
    private readonly int _cpu;

    /// <param name="context">The context to monitor: a stream listener is created on it.</param>
    /// <param name="cpu">The value of the CPU column: the context's core (shard) number.</param>
    public ConnectionTable(MonitorContext context, int cpu = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        _cpu = cpu;
        MonitorSocket listener = context.CreateStreamListener();
        listener.DisableBuffer(Side.Client);
        listener.DisableBuffer(Side.Server);
        listener.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Send, OnStart);
        listener.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Send, OnStateChange);
        listener.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, OnStateChange);
        listener.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Send, OnEnd);
    }

    /// <summary>Connections now tracked.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _rows.Count;
        }
    }

    /// <summary>The connections now tracked, oldest first.</summary>
    public IReadOnlyList<ConnectionRow> Snapshot()
    {
        lock (_gate)
        {
            var rows = new List<ConnectionRow>(_rows.Count);
            foreach (Entry e in _rows)
                rows.Add(new ConnectionRow(e.Client, e.ClientState, e.Server, e.ServerState));
            return rows;
        }
    }

    /// <summary>The header line of <see cref="Write"/>.</summary>
    public const string Header = "Proto CPU Client Address        Client State Server Address        Server State";

    /// <summary>
    /// Writes the table as midstat prints it: the header, then one row per connection, oldest first
    /// (<c>"%-5s %-3d "</c>, each <c>ip:port</c> in 21 columns and each state in 12, separated by a space; trailing
    /// spaces trimmed). States are mOS's names, <c>-</c> for a side not reported yet. IPv6 addresses print in brackets.
    /// </summary>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Header);
        writer.Write('\n');
        WriteRows(writer);
    }

    /// <summary>The rows of <see cref="Write"/> without the header (shards' tables printed as one).</summary>
    public void WriteRows(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var text = new System.Text.StringBuilder();
        lock (_gate)
        {
            foreach (Entry e in _rows)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"{"tcp",-5} {_cpu,-3} {e.Client,-21} {Name(e.ClientState),-12} {e.Server,-21} {Name(e.ServerState)}");
                text.Append('\n');
            }
        }
        writer.Write(text); // outside the lock: a slow terminal does not hold up the shard
    }

    private static string Name(TcpState? state) => state is { } s ? ReferenceTracer.StateName(s) : "-";

    private void OnStart(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (socket.UserContext is LinkedListNode<Entry> || socket.TryGetPeerNames(out FlowEndpoint client, out FlowEndpoint server) != MonitorError.None)
            return;
        var entry = new Entry(client, server);
        if (socket.TryGetState(Side.Client, out TcpState c) == MonitorError.None)
            entry.ClientState = c;
        if (socket.TryGetState(Side.Server, out TcpState s) == MonitorError.None)
            entry.ServerState = s;
        lock (_gate)
            socket.UserContext = _rows.AddLast(entry);
    }

    private void OnStateChange(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (socket.UserContext is not LinkedListNode<Entry> { Value: var entry } || socket.TryGetState(side, out TcpState state) != MonitorError.None)
            return;
        lock (_gate)
        {
            if (side == Side.Client)
                entry.ClientState = state;
            else
                entry.ServerState = state;
        }
    }

    private void OnEnd(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (socket.UserContext is not LinkedListNode<Entry> node)
            return; // the other side's CONN_END came first
        lock (_gate)
            _rows.Remove(node);
        socket.UserContext = null;
    }

    private sealed class Entry(FlowEndpoint client, FlowEndpoint server)
    {
        public FlowEndpoint Client { get; } = client;
        public FlowEndpoint Server { get; } = server;
        public TcpState? ClientState { get; set; }
        public TcpState? ServerState { get; set; }
    }
}
