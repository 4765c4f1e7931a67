using System.Globalization;

namespace Tributary.Flows.Applications.Firewall;

/// <summary>
/// mOS's simple_firewall (reference/mos/SAMPLES.md §2) over a <see cref="MonitorContext"/>: a user-defined event on
/// PacketIn whose filter is "SYN without ACK", handled at <see cref="HookPoint.Send"/> so that the verdict comes
/// before the server side sees the SYN. The first matching rule counts a hit (a retransmitted SYN that reaches the
/// callback counts again); DROP drops the SYN, ACCEPT (or no rule) stops monitoring both sides of the flow so that an
/// accepted connection costs nothing more. With <see cref="MonitorContextOptions.MosCompat"/> that stop is mOS's
/// no-op (DEVIATIONS B8) and the filter keeps running on every packet of the flow. Only SYNs are policed: packets
/// of connections that started before the firewall are orphans and are forwarded untouched.
/// </summary>
/// <remarks>
/// Dropping only works where frames are forwarded (<see cref="MonitorContextOptions.Forward"/>): inline, or a replay
/// whose <see cref="MonitorContext.ForwardSink"/> writes the frames out. In default mode a dropped SYN leaves no flow
/// behind (B30), so its retransmission is policed as a new flow; with MosCompat the half-open flow stays until the
/// idle timeout (S39) and the retransmission is policed through it.
/// </remarks>
public sealed class SynFirewall
{
    /// <summary>The user timer id of the periodic table (<see cref="PrintEvery"/>).</summary>
    public const int TableTimerId = 1;

    private const byte Syn = 0x02, Ack = 0x10;

    private const string Dashes = "-----------------------------------------------------------------------";

    // One delegate instance: DefineEvent is idempotent for the same filter, so several firewalls on one registry share the event.
    private static readonly EventFilter s_initialSyn = IsInitialSyn;

    private readonly MonitorContext _context;
    private readonly long[] _hits;
    private IntervalPrinter? _printer;

    public SynFirewall(MonitorContext context, FirewallRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rules);
        _context = context;
        Rules = rules;
        _hits = new long[rules.Count];
        MonitorEvent initialSyn = context.DefineEvent(MonitorEvent.PacketIn, s_initialSyn);
        Listener = context.CreateStreamListener();
        Listener.RegisterCallback(initialSyn, HookPoint.Send, ApplyRule);
    }

    public FirewallRuleSet Rules { get; }

    /// <summary>The stream listener the firewall watches SYNs through.</summary>
    public MonitorSocket Listener { get; }

    /// <summary>SYNs that hit rule <paramref name="index"/> (0-based) so far: the table's "flows" column.</summary>
    public long GetHits(int index) => _hits[index];

    /// <summary>SYNs no rule matched (accepted by default).</summary>
    public long DefaultAccepts { get; private set; }

    /// <summary>SYNs dropped.</summary>
    public long DroppedSyns { get; private set; }

    /// <summary>
    /// Prints the table to <paramref name="output"/> every <paramref name="interval"/> of the context clock (the capture
    /// clock for a file, where intervals without TCP packets print nothing; the wall clock live), through an
    /// <see cref="IntervalPrinter"/>. Each table is flushed, so that a reader at the other end of a pipe sees it when
    /// it is due.
    /// </summary>
    public void PrintEvery(TimeSpan interval, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        if (_printer is not null)
            throw new InvalidOperationException("the table is already printed periodically"); // a second timer chain would double every table
        _printer = new IntervalPrinter(_context, interval, () =>
        {
            WriteTable(output);
            output.Flush();
        }, TableTimerId);
        _printer.Start();
    }

    /// <summary>
    /// The rule table in simple_firewall's format: <c>"%-6u%-8u%-9s%-19s%-19s"</c> (index from 1, hits, target, client,
    /// server), then <c>"sport:%-6d"</c> when the rule has a source port and <c>"dport:%-6d"</c> when it has a
    /// destination port, both in that order when it has both. Padding is printf's: a field longer than its width
    /// (an IPv6 prefix) is printed whole, and rows keep their trailing blanks so that they diff against mOS's.
    /// </summary>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Dashes + "\n");
        output.Write("Firewall rule table\n");
        output.Write("idx   flows   target   client             server             port\n");
        for (int i = 0; i < Rules.Count; i++)
        {
            FirewallRule r = Rules[i];
            string target = r.Action == FirewallAction.Drop ? "DROP" : "ACCEPT";
            string row = string.Create(CultureInfo.InvariantCulture, $"{i + 1,-6}{_hits[i],-8}{target,-9}{r.SourceText,-19}{r.DestinationText,-19}");
            if (r.SourcePort != 0)
                row += string.Create(CultureInfo.InvariantCulture, $"sport:{r.SourcePort,-6}");
            if (r.DestinationPort != 0)
                row += string.Create(CultureInfo.InvariantCulture, $"dport:{r.DestinationPort,-6}");
            output.Write(row + "\n");
        }
        output.Write(Dashes + "\n");
    }

    /// <summary>mOS's CatchInitSYN: the current packet is a SYN without ACK.</summary>
    private static bool IsInitialSyn(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent, ReadOnlyMemory<byte> argument) =>
        context.TryGetLastPacket(out PacketView p) && p.HasTcpHeader && (p.TcpFlags & (Syn | Ack)) == Syn;

    /// <summary>mOS's ApplyActionPerFlow.</summary>
    private void ApplyRule(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (!context.TryGetLastPacket(out PacketView p))
            return;
        int index = Rules.Match(p.IpVersion, p.Source, p.Destination, p.SourcePort, p.DestinationPort);
        if (index < 0)
            DefaultAccepts++;
        else
            _hits[index]++;
        if (index >= 0 && Rules[index].Action == FirewallAction.Drop)
        {
            context.DropPacket();
            DroppedSyns++;
        }
        else
        {
            // Accepted flows pay no further cost (B8 fixed; with MosCompat the engine keeps mOS's no-op).
            socket.StopMonitoring(Side.Both);
        }
    }
}
