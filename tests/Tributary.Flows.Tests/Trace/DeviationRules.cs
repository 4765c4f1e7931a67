using System.Text.RegularExpressions;

namespace Tributary.Flows.Tests.Trace;

/// <summary>
/// The default-mode output of each reference command line, derived from the strict (mOS) trace by applying exactly
/// the rows of reference/mos/DEVIATIONS.md that its per-trace index names — one edit function per row, written
/// from the row's "trace lines that differ" column; notes N1, N2 and N6 are read verbatim from DEVIATIONS.md.
/// Traces the index lists under "none" must print the same in both modes.
/// </summary>
internal static partial class DeviationRules
{
    /// <summary>Rows per trace (DEVIATIONS.md "Per-trace index (default mode)").</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Index = new Dictionary<string, string[]>
    {
        ["01_handshake_close"] = ["B2", "B21"],
        ["03_rst_from_client"] = ["B21"],
        ["08_overlap_LAST"] = ["B13"],
        ["08_overlap_LAST.withbuf"] = ["B13"],
        ["10_data_after_fin"] = ["B2", "B3"],
        ["12_syn_rexmit"] = ["B4"],
        ["17_ipv6"] = ["B16"],
        ["18_raw_filter_udp"] = ["B15", "B16"],
        ["18_raw_nofilter"] = ["B15", "B16"],
        ["19_filter_two_sockets"] = ["B9"],
        ["23_half_close_data"] = ["B3", "B21"],
        ["26_port_reuse"] = ["B21"],
        ["30_idle_timeout"] = ["B23"],
        ["31_ude"] = ["B2", "B5", "B6", "B7", "B21"],
        ["31_ude_clean"] = ["B2", "B6", "B7", "B21"],
        ["32_stopmon_both"] = ["B8", "B29"],
        ["32_stopmon_cli"] = ["B2", "B29"],
        ["32_stopmon_svr"] = ["B29", "B21"],
        ["33_unregister_pktin"] = ["B2", "B5", "B21"],
        ["34_nobuf"] = ["B26"],
        ["34_nobuf_close"] = ["B17", "B21"],
        ["35_timewait_1s"] = ["B2"],
        ["36_rmem1000"] = ["B31"],
        ["37_peek_force_fin"] = ["B2", "B21", "B1"],
        ["38_drop_fin"] = ["B12"],
        ["38_drop_syn"] = ["B30"],
        ["39_timeout_hol"] = ["B14", "B23"],
    };

    /// <summary>The expected default-mode output (stdout) of the trace's command line.</summary>
    public static string Expected(string name, string strict)
    {
        if (!Index.TryGetValue(name, out string[]? rows))
            return strict; // "none": identical in both modes
        if (name == "36_rmem1000")
            return ""; // B31: refused before any output
        if (name == "37_peek_force_fin")
            return Expected("01_handshake_close", TraceRunner.Reference("01_handshake_close")); // B1/B2: equals 01's default output
        var t = new List<string>(strict.Split('\n'));
        string trailer = t[^1];
        t.RemoveAt(t.Count - 1); // the empty string after the final newline
        foreach (string row in rows)
            Apply(name, row, t);
        return string.Join('\n', t) + "\n" + trailer;
    }

    private static void Apply(string name, string row, List<string> t)
    {
        switch (row)
        {
            case "B2":
                // CONN_NEW_DATA of a FIN segment without new payload disappears.
                for (int n = 1; FrameStart(t, n) is int s; n++)
                {
                    if (!FinWithoutPayload().IsMatch(t[s]))
                        continue;
                    RemoveInFrame(t, n, l => l.Contains(" CONN_NEW_DATA ", StringComparison.Ordinal));
                }
                break;
            case "B21":
                // Both sides live until every CONN_END ran: svr=ERR in the client teardown after the server's reads CLOSED.
                for (int n = 1; FrameStart(t, n) is int s; n++)
                {
                    bool serverDone = false;
                    for (int i = s + 1; i < FrameEnd(t, n); i++)
                    {
                        if (t[i].Contains(" side=SVR CONN_END ", StringComparison.Ordinal))
                            serverDone = true;
                        else if (serverDone && ClientTeardownErr().IsMatch(t[i]))
                            t[i] = t[i].Replace("svr=ERR", "svr=CLOSED", StringComparison.Ordinal);
                    }
                }
                break;
            case "B3" when name == "23_half_close_data":
                InsertAfter(t, 6, "    HK_RCV sock=1 side=CLI PKT_IN cli=FIN_WAIT_2 svr=CLOSE_WAIT",
                    "    NULL sock=1 side=CLI CONN_NEW_DATA cli=FIN_WAIT_2 svr=CLOSE_WAIT  >> peek(CLI)=11 \"server-data\"");
                break;
            case "B3" when name == "10_data_after_fin":
                {
                    int last = LastIndexInFrame(t, 6, l => l.StartsWith("    HK_SND ", StringComparison.Ordinal));
                    t.Insert(last + 1, "    NULL sock=1 side=SVR ERROR cli=FIN_WAIT_1 svr=CLOSE_WAIT");
                    break;
                }
            case "B4":
                {
                    int i = IndexInFrame(t, 2, l => l == "    HK_RCV sock=1 side=SVR CONN_START cli=SYN_SENT svr=SYN_RCVD");
                    t.RemoveRange(i, 2);
                    t.Insert(i, "    HK_RCV sock=1 side=SVR REXMIT cli=SYN_SENT svr=SYN_RCVD");
                    break;
                }
            case "B5" when name == "33_unregister_pktin":
                {
                    int i = t.IndexOf("     [per-flow unregister PKT_IN@HK_RCV rc=-1]");
                    t[i] = "     [per-flow unregister PKT_IN@HK_RCV rc=0]";
                    for (int n = 4; n <= 10; n++)
                        RemoveInFrame(t, n, l => ReceivePacketIn().IsMatch(l));
                    break;
                }
            case "B5" when name == "31_ude":
                for (int i = 0; i < t.Count; i++)
                {
                    if (ReceivePacketIn().IsMatch(t[i]))
                        t[i] = "    HK_SND" + t[i]["    HK_RCV".Length..];
                }
                break;
            case "B6":
                for (int i = 0; i < t.Count; i++)
                {
                    if (!t[i].StartsWith("     [filter UDE", StringComparison.Ordinal) || !t[i].EndsWith("-> 1]", StringComparison.Ordinal))
                        continue;
                    int len = i + 1 < t.Count && t[i + 1].StartsWith("     [mtcp_raise_event", StringComparison.Ordinal) ? 2 : 1;
                    if (i + 2 * len <= t.Count && t.Skip(i).Take(len).SequenceEqual(t.Skip(i + len).Take(len)))
                        t.RemoveRange(i + len, len);
                }
                break;
            case "B7":
                t.Remove("  register(sock=0 ev=ev4099 hook=HK_RCV) -> -1 errno=0");
                for (int i = 0; i < t.Count; i++)
                {
                    if (t[i] == "     [mtcp_raise_event(child) rc=-1]")
                        t[i] = "     [mtcp_raise_event(child) rc=0]";
                    Match m = UdeOneLine().Match(t[i]);
                    if (m.Success)
                        t.Insert(++i, $"    HK_RCV sock=1 side={m.Groups[1].Value} ev4099 cli=ESTABLISHED svr=ESTABLISHED");
                }
                break;
            case "B8":
                // Both sides stopped at #3: the rest of #3's dispatch, then only frame lines until the end.
                for (int n = 4; FrameStart(t, n) is int; n++)
                    RemoveInFrame(t, n, l => !l.StartsWith("=== ", StringComparison.Ordinal));
                break;
            case "B29" when name == "32_stopmon_both":
                break; // with B8: the flow stays silently until it ends at #10
            case "B29" when name == "32_stopmon_cli":
                // N3: cli= shows the client's tracked state.
                foreach ((int frame, string state) in (IEnumerable<(int, string)>)[(7, "FIN_WAIT_1"), (8, "FIN_WAIT_1"), (9, "FIN_WAIT_2"), (10, "TIME_WAIT")])
                    ReplaceInFrame(t, frame, "cli=ESTABLISHED", "cli=" + state);
                break;
            case "B29" when name == "32_stopmon_svr":
                {
                    ReplaceInFrame(t, 8, "svr=ESTABLISHED", "svr=CLOSE_WAIT");
                    ReplaceInFrame(t, 9, "svr=ESTABLISHED", "svr=LAST_ACK");
                    RemoveInFrame(t, 9, l => l.Contains("cli=CLOSED", StringComparison.Ordinal)); // no teardown at #9
                    RemoveInFrame(t, 10, l => !l.StartsWith("=== ", StringComparison.Ordinal));
                    int s10 = FrameStart(t, 10)!.Value;
                    t.InsertRange(s10 + 1,
                    [
                        "    HK_SND sock=1 side=CLI PKT_IN cli=TIME_WAIT svr=LAST_ACK",
                        "    HK_RCV sock=1 side=CLI TCP_STATE_CHANGE cli=CLOSED svr=CLOSED",
                        "    HK_RCV sock=1 side=CLI CONN_END cli=CLOSED svr=CLOSED",
                        "    HK_SND sock=1 side=CLI TCP_STATE_CHANGE cli=CLOSED svr=CLOSED",
                        "    HK_SND sock=1 side=CLI CONN_END cli=CLOSED svr=CLOSED",
                    ]);
                    break;
                }
            case "B9":
                foreach (int n in (int[])[2, 4, 6])
                    RemoveInFrame(t, n, l => l.Contains(" sock=3 ", StringComparison.Ordinal));
                for (int i = 0; i < t.Count; i++)
                    t[i] = t[i].Replace(" sock=4 ", " sock=3 ", StringComparison.Ordinal);
                break;
            case "B13":
                {
                    int first = t.FindIndex(l => l.StartsWith("     [setsockopt OVERLAP_LAST:", StringComparison.Ordinal));
                    t[first] = "     [setsockopt OVERLAP_LAST: CLI rc=0 errno=0, SVR rc=0 errno=0]";
                    for (int i = t.Count - 1; i > first; i--)
                    {
                        if (t[i].StartsWith("     [setsockopt OVERLAP_LAST:", StringComparison.Ordinal))
                            t.RemoveAt(i);
                    }
                    break;
                }
            case "B14":
                {
                    // Flow B (sock 2) expires 1 s after its own last activity, right after #8's lines.
                    int s13 = FrameStart(t, 13)!.Value;
                    List<string> b = t.Skip(s13).Take(FrameEnd(t, 13) - s13).Where(l => l.Contains(" sock=2 ", StringComparison.Ordinal)).ToList();
                    RemoveInFrame(t, 13, l => l.Contains(" sock=2 ", StringComparison.Ordinal));
                    t.InsertRange(FrameEnd(t, 8), b);
                    break;
                }
            case "B23":
                for (int i = 0; i + 1 < t.Count; i++)
                {
                    Match m = TeardownStateChange().Match(t[i]);
                    if (m.Success && t[i + 1].StartsWith(m.Groups[1].Value + " CONN_END ", StringComparison.Ordinal))
                    {
                        t.Insert(i, t[i].Replace(" TCP_STATE_CHANGE ", " TIMEOUT ", StringComparison.Ordinal));
                        i += 2;
                    }
                }
                break;
            case "B15" when name == "18_raw_filter_udp":
                for (int n = 2; n <= 6; n++)
                    RemoveInFrame(t, n, l => RawIpLayer().IsMatch(l));
                break;
            case "B15" when name == "18_raw_nofilter":
                t.Insert(FrameStart(t, 1)!.Value + 1, "    RAW sock=1 side=BOTH PKT_IN cli=n/a svr=n/a  pkt=10.0.0.1>10.0.0.2 proto=17 iplen=32");
                break;
            case "B16" when name.StartsWith("18_", StringComparison.Ordinal):
                InsertAfter(t, 1, "    RAW sock=1 side=BOTH PKT_IN cli=n/a svr=n/a  pkt=10.0.0.1>10.0.0.2 proto=17 iplen=32",
                    "    RAW sock=1 side=BOTH ORPHAN cli=n/a svr=n/a  pkt=10.0.0.1>10.0.0.2 proto=17 iplen=32");
                break;
            case "B16" when name == "17_ipv6":
                ReplaceFrom(t, FrameStart(t, 1)!.Value, Note("N2"));
                break;
            case "B17":
                ReplaceInFrame(t, 9, "svr=CLOSING", "svr=LAST_ACK");
                ReplaceInFrame(t, 10, "svr=CLOSING", "svr=LAST_ACK");
                for (int i = FrameStart(t, 10)!.Value; i < FrameEnd(t, 10); i++)
                {
                    if (SvrTimeWaitAtReceive().IsMatch(t[i]))
                        t[i] = t[i].Replace("svr=TIME_WAIT", "svr=CLOSED", StringComparison.Ordinal);
                }
                break;
            case "B26":
                {
                    int i = IndexInFrame(t, 5, l => l.StartsWith("    HK_RCV sock=1 side=SVR PKT_IN ", StringComparison.Ordinal));
                    t.Insert(i, "    HK_RCV sock=1 side=SVR REXMIT cli=ESTABLISHED svr=ESTABLISHED");
                    break;
                }
            case "B12":
                {
                    // N1: #7 keeps its HK_SND lines and the drop line; from #8 on, the note's lines.
                    int s7 = FrameStart(t, 7)!.Value;
                    t.RemoveRange(s7 + 4, FrameEnd(t, 7) - (s7 + 4));
                    ReplaceFrom(t, FrameStart(t, 8)!.Value, Note("N1"));
                    break;
                }
            case "B30":
                ReplaceFrom(t, 0, Note("N6"));
                break;
            default:
                throw new InvalidOperationException($"no rule for {row} on {name}");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int? FrameStart(List<string> t, int n)
    {
        int i = t.FindIndex(l => l.StartsWith($"=== #{n} ", StringComparison.Ordinal));
        return i < 0 ? null : i;
    }

    private static int FrameEnd(List<string> t, int n)
    {
        int s = FrameStart(t, n) ?? throw new InvalidOperationException($"frame #{n} missing");
        int i = s + 1;
        while (i < t.Count && !t[i].StartsWith("=== ", StringComparison.Ordinal) && !t[i].StartsWith("  ---- end", StringComparison.Ordinal))
            i++;
        return i;
    }

    private static void RemoveInFrame(List<string> t, int n, Func<string, bool> predicate)
    {
        int s = FrameStart(t, n)!.Value;
        for (int i = FrameEnd(t, n) - 1; i > s; i--)
        {
            if (predicate(t[i]))
                t.RemoveAt(i);
        }
    }

    private static void ReplaceInFrame(List<string> t, int n, string from, string to)
    {
        for (int i = FrameStart(t, n)!.Value + 1; i < FrameEnd(t, n); i++)
            t[i] = t[i].Replace(from, to, StringComparison.Ordinal);
    }

    private static int IndexInFrame(List<string> t, int n, Func<string, bool> predicate)
    {
        for (int i = FrameStart(t, n)!.Value + 1; i < FrameEnd(t, n); i++)
        {
            if (predicate(t[i]))
                return i;
        }
        throw new InvalidOperationException($"line not found in frame #{n}");
    }

    private static int LastIndexInFrame(List<string> t, int n, Func<string, bool> predicate)
    {
        for (int i = FrameEnd(t, n) - 1; i > FrameStart(t, n)!.Value; i--)
        {
            if (predicate(t[i]))
                return i;
        }
        throw new InvalidOperationException($"line not found in frame #{n}");
    }

    private static void InsertAfter(List<string> t, int frame, string anchor, string line) =>
        t.Insert(IndexInFrame(t, frame, l => l == anchor) + 1, line);

    private static void ReplaceFrom(List<string> t, int start, List<string> lines)
    {
        t.RemoveRange(start, t.Count - start);
        t.AddRange(lines);
    }

    /// <summary>The fenced block of a note of DEVIATIONS.md (N1, N2, N6).</summary>
    private static List<string> Note(string note)
    {
        string[] lines = File.ReadAllLines(Path.Combine(TraceRunner.MosDirectory, "DEVIATIONS.md"));
        int i = Array.FindIndex(lines, l => l.StartsWith($"**{note} ", StringComparison.Ordinal));
        int open = Array.FindIndex(lines, i, l => l.StartsWith("```", StringComparison.Ordinal));
        int close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return lines[(open + 1)..close].ToList();
    }

    [GeneratedRegex(@"^=== #\d+ .*\[\w*F\w*\] .* len=0  \(fwd")]
    private static partial Regex FinWithoutPayload();

    [GeneratedRegex(@"^    HK_(RCV|SND) sock=\d+ side=CLI (TCP_STATE_CHANGE|CONN_END) cli=CLOSED svr=ERR$")]
    private static partial Regex ClientTeardownErr();

    [GeneratedRegex(@"^    HK_RCV sock=1 side=\w+ PKT_IN ")]
    private static partial Regex ReceivePacketIn();

    [GeneratedRegex(@"^    HK_RCV sock=1 side=(\w+) UDE1\(payload>0\) ")]
    private static partial Regex UdeOneLine();

    [GeneratedRegex(@"^(    HK_(?:RCV|SND) sock=\d+ side=\w+) TCP_STATE_CHANGE cli=CLOSED ")]
    private static partial Regex TeardownStateChange();

    [GeneratedRegex(@"^    RAW sock=1 side=BOTH PKT_IN .* proto=6 iplen=\d+$")]
    private static partial Regex RawIpLayer();

    [GeneratedRegex(@"^    HK_RCV sock=1 side=SVR (PKT_IN|TCP_STATE_CHANGE) cli=TIME_WAIT svr=TIME_WAIT$")]
    private static partial Regex SvrTimeWaitAtReceive();
}
