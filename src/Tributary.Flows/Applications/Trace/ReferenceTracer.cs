using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Tributary.Flows.Internal;

namespace Tributary.Flows.Applications.Trace;

/// <summary>
/// The reference tracer of TRACER.md re-created on the Tributary API: registers every built-in event on every legal
/// hook, prints one line per callback with both sides' states (and buffers with <see cref="TraceOptions.ShowBuffers"/>),
/// peeks in CONN_NEW_DATA, and drives time from the capture (TRACER §5). With MosCompat its output equals the
/// traces of the real mOS core byte for byte.
/// </summary>
public sealed class ReferenceTracer
{
    private const int PeekBufferSize = 70000;

    private readonly TraceOptions _opt;
    private readonly TextWriter _out;
    private readonly MonitorContext _ctx;
    private readonly StringBuilder _line = new(256);
    private readonly byte[] _peekBuffer = new byte[PeekBufferSize];
    private readonly List<BufferFragment> _fragments = [];

    private MonitorSocket _l1 = null!;
    private MonitorSocket? _l2;
    private MonitorSocket? _raw;
    private MonitorEvent _ude1, _ude2, _ude3, _child;
    private long _newDataCount;
    private int _framesRead;
    private int _lastErrno;
    private bool _terminated;
    private readonly Dictionary<int, long[]> _peeked = [];
    private readonly Dictionary<int, int> _snd = [];
    private readonly Dictionary<int, int> _rcv = [];
    private readonly HashSet<int> _overlapDone = [];

    /// <summary>Creates the tracer; <paramref name="contextOptions"/> must already be validated by the caller's configuration step.</summary>
    public ReferenceTracer(TraceOptions options, MonitorContextOptions contextOptions, TextWriter output)
    {
        _opt = options;
        _out = output;
        _ctx = new MonitorContext(contextOptions) { DiagnosticWriter = OnDiagnostic };
    }

    public MonitorContext Context => _ctx;

    private sealed class TerminatedException : Exception
    {
    }

    /// <summary>Runs the setup and the whole capture; returns the exit status (1 when MosCompat reproduces mOS's exit in a peek, TRACER §3.7).</summary>
    public int Run(IFrameSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            Setup();
            long lastTs = 0;
            bool any = false;
            while (Next(source, out ReadOnlySpan<byte> frame, out int linkType, out long ts, out int wire, out Capture.PacketFlags flags))
            {
                _ctx.AdvanceClock(ts);
                _framesRead++;
                long forwarded = _ctx.Options.Forward ? _ctx.Statistics.Forwarded : 0;
                _out.Write("=== #");
                _out.Write(_framesRead.ToString(CultureInfo.InvariantCulture));
                _out.Write(' ');
                _out.Write(FrameSummary.Describe(frame, linkType));
                _out.Write("  (fwd:");
                _out.Write(forwarded.ToString(CultureInfo.InvariantCulture));
                _out.Write(")\n");
                _ctx.ProcessPacket(frame, linkType, ts, wire, flags);
                lastTs = Math.Max(lastTs, ts);
                any = true;
            }
            if (!any)
                _ctx.AdvanceClock(0); // an empty capture starts at t = 0 (TRACER §5 step 2)
            _ctx.Finish(Math.Max(lastTs, _ctx.ClockMicroseconds) + (long)_opt.TailMilliseconds * 1000);
            long tx = _ctx.Options.Forward ? _ctx.Statistics.Forwarded : 0;
            _out.Write($"  ---- end (rx={_ctx.Statistics.Packets} tx={tx}) ----\n");
            return 0;
        }
        catch (TerminatedException)
        {
            return 1;
        }
        finally
        {
            _out.Flush();
        }
    }

    /// <summary>
    /// The next frame. Live, the trace is written as it happens (flushed before every wait), and while the link is
    /// quiet (<see cref="MonitorContext.LiveIdleInterval"/>) the clock follows the wall clock, so timers and idle timeouts fire when they are due (as on mOS's live
    /// core), not when the next frame comes.
    /// </summary>
    private bool Next(IFrameSource source, out ReadOnlySpan<byte> frame, out int linkType, out long ts, out int wire, out Capture.PacketFlags flags)
    {
        if (!source.IsLive)
            return source.TryRead(out frame, out linkType, out ts, out wire, out flags);
        while (true)
        {
            _out.Flush();
            switch (source.Read(out frame, out linkType, out ts, out wire, out flags, (int)MonitorContext.LiveIdleInterval.TotalMilliseconds))
            {
                case Capture.PacketReadResult.Packet:
                    return true;
                case Capture.PacketReadResult.EndOfInput:
                    return false;
                default:
                    _ctx.AdvanceToWallClock();
                    break;
            }
        }
    }

    private void OnDiagnostic(string line)
    {
        _out.Write("  ");
        _out.Write(line);
        _out.Write('\n');
        if (_ctx.Options.MosCompat && line.Contains("tcprb_ppeek() failed", StringComparison.Ordinal))
        {
            // mOS calls exit() here (B1): the line is the last one, no footer, status 1.
            _terminated = true;
            _out.Flush();
            throw new TerminatedException();
        }
    }

    // ------------------------------------------------------------------ setup (TRACER §1.1)

    private void Setup()
    {
        if (_opt.Ude != 0)
            DefineUdes();
        _l1 = _ctx.CreateStreamListener();
        Preamble($"stream listener sock={_l1.Id}");
        if (_opt.SynFilter is not null || _opt.OrphanFilter is not null)
            BindListener(_l1, _opt.SynFilter, _opt.OrphanFilter);
        if (_opt.NoBuffers)
            DisableBuffers(_l1);
        RegisterAll(_l1);
        if (_opt.Ude != 0)
            RegisterUdes();
        if (_opt.SecondListener is not null)
        {
            _l2 = _ctx.CreateStreamListener();
            Preamble($"second stream listener sock={_l2.Id}");
            if (_opt.SecondListener != "none")
                BindListener(_l2, _opt.SecondListener, null);
            if (_opt.NoBuffers)
                DisableBuffers(_l2);
            RegisterAll(_l2);
        }
        if (_opt.RawFilter is not null)
        {
            _raw = _ctx.CreateRawSocket();
            int rc = 0;
            if (_opt.RawFilter != "none")
                rc = Rc(Track(_raw.TryBindRawFilter(_opt.RawFilter)));
            Preamble($"raw sock={_raw.Id} bind(raw='{(_opt.RawFilter == "none" ? "(none)" : _opt.RawFilter)}')={rc}");
            MonitorCallback rawPrinter = RawPrinter;
            Register(_raw, MonitorEvent.PacketIn, HookPoint.Null, rawPrinter);
            Register(_raw, MonitorEvent.Orphan, HookPoint.Null, rawPrinter);
        }
        if (_opt.TimerMilliseconds >= 0)
        {
            _ctx.SetTimer(77, TimeSpan.FromMilliseconds(_opt.TimerMilliseconds), OnTimer);
            Preamble($"settimer(id=77, {_opt.TimerMilliseconds} ms) -> 0");
        }
    }

    private void Preamble(string text)
    {
        if (_opt.NoPreamble)
            return;
        _out.Write("  ");
        _out.Write(text);
        _out.Write('\n');
    }

    private void BindListener(MonitorSocket l, string? syn, string? orphan)
    {
        MonitorError e = Track(l.TryBindStreamFilters(syn, orphan));
        Preamble($"bind_monitor_filter(sock={l.Id} syn='{syn}' orphan='{orphan}') -> {Rc(e)} errno={Errno(e)}");
    }

    private void DisableBuffers(MonitorSocket l)
    {
        int a = Rc(Track(l.DisableBuffer(Side.Client)));
        int b = Rc(Track(l.DisableBuffer(Side.Server)));
        Preamble($"setsockopt(CLIBUF=0)={a} setsockopt(SVRBUF=0)={b}");
    }

    private void RegisterAll(MonitorSocket l)
    {
        MonitorCallback snd = SendPrinter, rcv = ReceivePrinter, nul = NullPrinter;
        foreach (MonitorEvent ev in (MonitorEvent[])[MonitorEvent.PacketIn, MonitorEvent.ConnectionStart, MonitorEvent.Retransmission,
                     MonitorEvent.TcpStateChange, MonitorEvent.ConnectionEnd, MonitorEvent.Timeout])
        {
            if (!_opt.OnlyReceive)
                Register(l, ev, HookPoint.Send, snd);
            Register(l, ev, HookPoint.Receive, rcv);
        }
        Register(l, MonitorEvent.ConnectionNewData, HookPoint.Null, nul);
        Register(l, MonitorEvent.Orphan, HookPoint.Null, nul);
        Register(l, MonitorEvent.Error, HookPoint.Null, nul);
    }

    private int Register(MonitorSocket s, MonitorEvent ev, HookPoint hook, MonitorCallback? cb)
    {
        MonitorError e = Track(s.TryRegisterCallback(ev, hook, cb));
        if (e != MonitorError.None)
            Preamble($"register(sock={s.Id} ev={EventName(ev)} hook={HookName(hook)}) -> -1 errno={_lastErrno}");
        return Rc(e);
    }

    private MonitorError Track(MonitorError e)
    {
        if (e != MonitorError.None && e != MonitorError.Unchanged)
            _lastErrno = (int)e;
        return e;
    }

    private static int Rc(MonitorError e) => e == MonitorError.None ? 0 : -1;

    private int Errno(MonitorError e) => e == MonitorError.None ? 0 : e == MonitorError.Unchanged ? _lastErrno : (int)e;

    // ------------------------------------------------------------------ user-defined events (TRACER §1.4)

    private static readonly byte[] s_get = "GET"u8.ToArray();

    private void DefineUdes()
    {
        EventFilter payload = FilterPayload, get = FilterGet, syn = FilterSyn;
        _ude1 = _ctx.DefineEvent(MonitorEvent.PacketIn, payload);
        MonitorEvent again = _ctx.DefineEvent(MonitorEvent.PacketIn, payload);
        _ude2 = _ctx.DefineEvent(_ude1, get, s_get);
        _ude3 = _ctx.DefineEvent(MonitorEvent.PacketIn, syn);
        _child = _ctx.AllocEvent(_ude1);
        MonitorEvent bad = _ctx.DefineEvent((MonitorEvent)12345, syn);
        Preamble($"UDE1={(ulong)_ude1} (redefine same -> {(ulong)again}) UDE2={(ulong)_ude2} UDE3={(ulong)_ude3} CHILD(alloc)={(ulong)_child} bad_define={(ulong)bad}");
    }

    private void RegisterUdes()
    {
        MonitorCallback snd = SendPrinter, rcv = ReceivePrinter;
        Register(_l1, _ude1, HookPoint.Receive, rcv);
        Register(_l1, _ude2, HookPoint.Receive, rcv);
        Register(_l1, _ude3, HookPoint.Send, snd);
        Register(_l1, _child, HookPoint.Receive, rcv);
        if (_opt.Ude != 1)
            return;
        Register(_l1, MonitorEvent.ConnectionNewData, HookPoint.Receive, rcv);
        Register(_l1, MonitorEvent.ConnectionStart, HookPoint.Null, rcv);
        Register(_l1, MonitorEvent.PacketIn | MonitorEvent.ConnectionStart, HookPoint.Receive, rcv);
        MonitorError e = Track(_l1.TryRegisterCallback(MonitorEvent.PacketIn, HookPoint.Receive, snd));
        Preamble($"re-register PKT_IN@HK_RCV with other cb -> {Rc(e)}");
    }

    private bool FilterPayload(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev, ReadOnlyMemory<byte> arg)
    {
        if (!ctx.TryGetLastPacket(out PacketView p))
            return false;
        bool pass = p.PayloadLength > 0;
        Action($"[filter UDE1 side={SideName(side)} -> {(pass ? 1 : 0)}]");
        if (pass)
            Action($"[mtcp_raise_event(child) rc={Rc(ctx.RaiseEvent(_child))}]");
        return pass;
    }

    private bool FilterGet(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev, ReadOnlyMemory<byte> arg)
    {
        if (!ctx.TryGetLastPacket(out PacketView p))
            return false;
        bool pass = p.PayloadLength >= 3 && p.Payload[..3].SequenceEqual(arg.Span[..3]);
        Action($"[filter UDE2 side={SideName(side)} arg={Encoding.ASCII.GetString(arg.Span)} -> {(pass ? 1 : 0)}]");
        return pass;
    }

    private static bool FilterSyn(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev, ReadOnlyMemory<byte> arg) =>
        ctx.TryGetLastPacket(out PacketView p) && p.HasTcpHeader && (p.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;

    // ------------------------------------------------------------------ printers (TRACER §1.2)

    private void SendPrinter(MonitorContext ctx, MonitorSocket s, Side d, MonitorEvent ev) => Print("HK_SND", s, d, ev);

    private void ReceivePrinter(MonitorContext ctx, MonitorSocket s, Side d, MonitorEvent ev) => Print("HK_RCV", s, d, ev);

    private void NullPrinter(MonitorContext ctx, MonitorSocket s, Side d, MonitorEvent ev) => Print("NULL", s, d, ev);

    private void RawPrinter(MonitorContext ctx, MonitorSocket s, Side d, MonitorEvent ev)
    {
        _line.Clear();
        AppendHead("RAW", s, d, ev);
        AppendPacket();
        EmitLine();
    }

    private void OnTimer(MonitorContext ctx, int id) =>
        _out.Write($"  #{_framesRead} TIMER id={id} side=0 ev=0 arg=(nil)\n");

    private bool IsFlowSocket(MonitorSocket s) => s.Kind == MonitorSocketKind.Flow;

    private long[] Peeked(MonitorSocket s)
    {
        if (!_peeked.TryGetValue(s.Id, out long[]? p))
            _peeked[s.Id] = p = new long[2];
        return p;
    }

    private void Print(string label, MonitorSocket s, Side d, MonitorEvent ev)
    {
        if (_terminated)
            return;
        string? action = null;
        if (ev == MonitorEvent.ConnectionNewData)
            _newDataCount++;
        if (ev == MonitorEvent.ConnectionNewData && !_opt.NoPeek && s != _l1 && (_opt.PeekAt <= 0 || _newDataCount >= _opt.PeekAt))
            action = PeekAction(s, d);
        if (ev == MonitorEvent.Error && _opt.DrainOnError && s != _l1)
        {
            int r = s.Peek(d, _peekBuffer, out _);
            if (r > 0)
                Peeked(s)[(int)d & 1] += r;
            action = $"drain peek({SideName(d)})={r}";
        }
        if (_opt.Dump && ev == MonitorEvent.PacketIn && label == "HK_RCV" && IsFlowSocket(s))
            action = DumpAction(s, action);

        _line.Clear();
        AppendHead(label, s, d, ev);
        if (ev == MonitorEvent.Orphan)
            AppendPacket();
        if (action is not null)
            _line.Append("  >> ").Append(action);
        EmitLine();

        if (ev != MonitorEvent.PacketIn || !IsFlowSocket(s))
            return;
        if (label == "HK_SND")
        {
            int n = _snd[s.Id] = _snd.GetValueOrDefault(s.Id) + 1;
            if (n == _opt.DropAt)
                Action($"[mtcp_setlastpkt(MOS_DROP) rc={Rc(_ctx.DropPacket())}]");
        }
        else if (label == "HK_RCV")
        {
            if (_opt.OverlapLast && !_overlapDone.Contains(s.Id))
            {
                MonitorError a = s.TrySetOverlapPolicy(Side.Client, OverlapPolicy.Last);
                MonitorError b = s.TrySetOverlapPolicy(Side.Server, OverlapPolicy.Last);
                Action($"[setsockopt OVERLAP_LAST: CLI rc={Rc(a)} errno={(int)a}, SVR rc={Rc(b)} errno={(int)b}]");
                if (a == MonitorError.None && b == MonitorError.None)
                    _overlapDone.Add(s.Id);
            }
            int n = _rcv[s.Id] = _rcv.GetValueOrDefault(s.Id) + 1;
            if (n == _opt.StopAt && _opt.StopSide is Side stop)
                Action($"[setsockopt MOS_STOP_MON side={SideName(stop)} rc={Rc(s.StopMonitoring(stop))}]");
            if (n == _opt.UnregisterAt)
            {
                MonitorSocket target = _opt.UnregisterListener ? _l1 : s;
                int rc = Rc(Track(target.TryRegisterCallback(_opt.UnregisterEvent, _opt.UnregisterHook, null)));
                string who = _opt.UnregisterListener ? "listener" : "per-flow";
                Action($"[{who} unregister {EventName(_opt.UnregisterEvent)}@{HookName(_opt.UnregisterHook)} rc={rc}]");
            }
        }
    }

    private string PeekAction(MonitorSocket s, Side d)
    {
        long[] peeked = Peeked(s);
        long avail = s.TryGetBufferInfo(d, out BufferInfo info) == MonitorError.None ? info.NextByteExpected - peeked[(int)d & 1] : -1;
        if (avail <= 0 && !_opt.PeekForce)
            return $"peek skipped: nothing new (avail={avail}); mtcp_peek() here would exit()";
        int r = s.Peek(d, _peekBuffer, out MonitorError err);
        if (r > 0)
        {
            peeked[(int)d & 1] += r;
            return $"peek({SideName(d)})={r} \"{Printable(_peekBuffer.AsSpan(0, Math.Min(r, 60)))}\"";
        }
        if (r < 0 && err == MonitorError.NoData)
            peeked[(int)d & 1] += -r;
        return $"peek({SideName(d)})={r} errno={(r == 0 ? 0 : (int)err)}";
    }

    private string DumpAction(MonitorSocket s, string? action)
    {
        var sb = new StringBuilder(action ?? "");
        foreach (Side side in (Side[])[Side.Client, Side.Server])
        {
            Append(sb, sb.Length > 0 ? "; " : "");
            Append(sb, $"ppeek-dump({SideName(side)}):");
            bool anyFragment = false;
            if (s.TryGetFragments(side, _fragments) == MonitorError.None)
            {
                foreach (BufferFragment f in _fragments)
                {
                    if (f.Offset >= 20000)
                        continue;
                    int n = s.PPeek(side, _peekBuffer, f.Offset, out _);
                    if (n <= 0)
                        continue;
                    anyFragment = true;
                    Append(sb, $" @{f.Offset}:");
                    ReadOnlySpan<byte> bytes = _peekBuffer.AsSpan(0, n);
                    int i = 0;
                    while (i < bytes.Length)
                    {
                        int j = i;
                        while (j < bytes.Length && bytes[j] == bytes[i])
                            j++;
                        byte c = bytes[i];
                        Append(sb, $"{(c is >= 0x20 and <= 0x7E ? (char)c : '.')}*{j - i}");
                        i = j;
                    }
                }
            }
            if (!anyFragment)
                Append(sb, " (none)");
        }
        return sb.ToString();

        // The reference capped the action text at 4095 characters and stopped adding at 4056.
        static void Append(StringBuilder sb, string piece)
        {
            if (sb.Length >= 4056)
                return;
            sb.Append(piece);
            if (sb.Length > 4095)
                sb.Length = 4095;
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = bytes[i] is >= 0x20 and <= 0x7E ? (char)bytes[i] : '.';
        return new string(chars);
    }

    private void Action(string text)
    {
        _out.Write("     ");
        _out.Write(text);
        _out.Write('\n');
    }

    private void EmitLine()
    {
        _line.Append('\n');
        _out.Write(_line);
    }

    private void AppendHead(string label, MonitorSocket s, Side d, MonitorEvent ev)
    {
        _line.Append("    ").Append(label).Append(" sock=").Append(s.Id).Append(" side=").Append(SideName(d))
            .Append(' ').Append(EventName(ev));
        if (IsFlowSocket(s))
        {
            _line.Append(" cli=").Append(StateText(s, Side.Client)).Append(" svr=").Append(StateText(s, Side.Server));
            if (_opt.ShowBuffers)
            {
                _line.Append("  {CLIBUF{");
                AppendBuffer(s, Side.Client);
                _line.Append("} SVRBUF{");
                AppendBuffer(s, Side.Server);
                _line.Append("}}");
            }
        }
        else
        {
            _line.Append(" cli=n/a svr=n/a");
            if (_opt.ShowBuffers)
                _line.Append("  {CLIBUF{} SVRBUF{}}");
        }
    }

    private static string StateText(MonitorSocket s, Side side) =>
        s.TryGetState(side, out TcpState st) == MonitorError.None ? StateName(st) : "ERR";

    private void AppendBuffer(MonitorSocket s, Side side)
    {
        MonitorError e = s.TryGetBufferInfo(side, out BufferInfo info);
        if (e == MonitorError.NoData)
        {
            _line.Append('-');
            return;
        }
        if (e != MonitorError.None)
        {
            _line.Append("nobuf(errno=").Append((int)e).Append(')');
            return;
        }
        _line.Append("r=").Append(info.LastByteRead).Append(" e=").Append(info.NextByteExpected).Append(" rcv=").Append(info.LastByteReceived);
        if (s.TryGetFragments(side, _fragments) == MonitorError.None)
        {
            _line.Append(" frags=");
            for (int i = 0; i < _fragments.Count && i < 40; i++)
                _line.Append('[').Append(_fragments[i].Offset).Append(",+").Append(_fragments[i].Length).Append(')');
        }
    }

    private void AppendPacket()
    {
        _line.Append("  pkt=");
        if (!_ctx.TryGetLastPacket(out PacketView p))
        {
            _line.Append("<getlastpkt -1 errno=13>");
            return;
        }
        if (p.IpVersion == 0)
        {
            _line.Append("<no ip>");
            return;
        }
        string src = AddressText.Format(p.Source, p.IpVersion), dst = AddressText.Format(p.Destination, p.IpVersion);
        if (!p.HasTcpHeader)
        {
            _line.Append(src).Append('>').Append(dst).Append(" proto=").Append(p.Protocol).Append(" iplen=").Append(p.IpLength);
            return;
        }
        if (p.IpVersion == 6)
            _line.Append('[').Append(src).Append("]:").Append(p.SourcePort).Append(">[").Append(dst).Append("]:").Append(p.DestinationPort);
        else
            _line.Append(src).Append(':').Append(p.SourcePort).Append('>').Append(dst).Append(':').Append(p.DestinationPort);
        _line.Append(" [").Append(FrameSummary.FlagLetters(p.TcpFlags)).Append("] seq=").Append(p.Sequence).Append(" ack=").Append(p.Acknowledgment)
            .Append(" len=").Append(p.PayloadLength).Append(" win=").Append(p.Window).Append(" off=").Append(p.Offset);
    }

    // ------------------------------------------------------------------ names

    public static string SideName(Side side) => side switch
    {
        Side.Client => "CLI",
        Side.Server => "SVR",
        Side.Both => "BOTH",
        _ => "?",
    };

    private static string HookName(HookPoint hook) => hook switch
    {
        HookPoint.Send => "HK_SND",
        HookPoint.Receive => "HK_RCV",
        _ => "NULL",
    };

    public static string StateName(TcpState st) => st switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynReceived => "SYN_RCVD",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN_WAIT_1",
        TcpState.FinWait2 => "FIN_WAIT_2",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        _ => "?",
    };

    private string EventName(MonitorEvent ev)
    {
        if (_opt.Ude != 0)
        {
            if (ev == _ude1)
                return "UDE1(payload>0)";
            if (ev == _ude2)
                return "UDE2(payload starts 'GET')";
            if (ev == _ude3)
                return "UDE3(SYN only)";
        }
        return BuiltInName(ev) ?? "ev" + ((ulong)ev).ToString(CultureInfo.InvariantCulture);
    }

    public static string? BuiltInName(MonitorEvent ev) => ev switch
    {
        MonitorEvent.PacketIn => "PKT_IN",
        MonitorEvent.PacketOut => "PKT_OUT",
        MonitorEvent.ConnectionStart => "CONN_START",
        MonitorEvent.ConnectionSetup => "CONN_SETUP",
        MonitorEvent.ConnectionNewData => "CONN_NEW_DATA",
        MonitorEvent.Error => "ERROR",
        MonitorEvent.Timeout => "TIMEOUT",
        MonitorEvent.TcpStateChange => "TCP_STATE_CHANGE",
        MonitorEvent.Orphan => "ORPHAN",
        MonitorEvent.Retransmission => "REXMIT",
        MonitorEvent.ConnectionEnd => "CONN_END",
        _ => null,
    };

    /// <summary>Parses an event name of TRACER §3.4 (for <c>--unregister-event</c>).</summary>
    public static MonitorEvent? ParseEventName(string name)
    {
        foreach (MonitorEvent ev in Enum.GetValues<MonitorEvent>())
        {
            if (BuiltInName(ev) == name)
                return ev;
        }
        return null;
    }
}

/// <summary>The frame line's summary (TRACER §3.3), computed from the frame bytes as untagged Ethernet would show them.</summary>
public static class FrameSummary
{
    public static string FlagLetters(byte flags)
    {
        Span<char> c = stackalloc char[5];
        int n = 0;
        if ((flags & TcpFlags.Syn) != 0)
            c[n++] = 'S';
        if ((flags & TcpFlags.Fin) != 0)
            c[n++] = 'F';
        if ((flags & TcpFlags.Rst) != 0)
            c[n++] = 'R';
        if ((flags & TcpFlags.Psh) != 0)
            c[n++] = 'P';
        if ((flags & TcpFlags.Ack) != 0)
            c[n++] = 'A';
        return new string(c[..n]);
    }

    public static unsafe string Describe(ReadOnlySpan<byte> frame, int linkType)
    {
        ReadOnlySpan<byte> ip;
        ushort etherType;
        if (linkType == LinkTypes.Ethernet)
        {
            if (frame.Length < 14)
                return "non-IPv4";
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
            ip = frame[14..];
        }
        else
        {
            // Other link types print as if the frame had untagged Ethernet framing.
            var p = new PacketContext();
            fixed (byte* f = frame)
            {
                p.Frame = f;
                p.FrameLength = frame.Length;
                p.LinkType = linkType;
                FrameDecoder.Decode(ref p);
            }
            if (p.IpVersion == 0)
                return "non-IPv4";
            etherType = p.IpVersion == 6 ? (ushort)0x86DD : (ushort)0x0800;
            ip = frame[p.L3Offset..];
        }
        if (etherType == 0x86DD)
            return "IPv6 frame";
        if (etherType != 0x0800 || ip.Length < 20)
            return "non-IPv4";
        string src = $"{ip[12]}.{ip[13]}.{ip[14]}.{ip[15]}";
        string dst = $"{ip[16]}.{ip[17]}.{ip[18]}.{ip[19]}";
        if (ip[9] != 6)
            return $"{src}>{dst} proto={ip[9]}";
        int ihl = (ip[0] & 15) * 4;
        Span<byte> tcp = stackalloc byte[20];
        if (ihl < ip.Length)
            ip.Slice(ihl, Math.Min(20, ip.Length - ihl)).CopyTo(tcp);
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int doff = (tcp[12] >> 4) * 4;
        return string.Create(CultureInfo.InvariantCulture,
            $"{src}:{BinaryPrimitives.ReadUInt16BigEndian(tcp)}>{dst}:{BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])} [{FlagLetters(tcp[13])}] seq={BinaryPrimitives.ReadUInt32BigEndian(tcp[4..])} ack={BinaryPrimitives.ReadUInt32BigEndian(tcp[8..])} len={total - ihl - doff}");
    }
}
