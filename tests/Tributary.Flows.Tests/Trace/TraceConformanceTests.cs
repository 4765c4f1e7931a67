namespace Tributary.Flows.Tests.Trace;

/// <summary>
/// Every command line of TRACER.md §6: with --mos-compat the output equals the strict reference trace byte for
/// byte; without it, it differs from the reference exactly as DEVIATIONS.md lists (<see cref="DeviationRules"/>).
/// </summary>
public sealed class TraceConformanceTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (TraceRunner.Case c in TraceRunner.Cases())
            data.Add(c.Name);
        return data;
    }

    private static TraceRunner.Case Find(string name) => TraceRunner.Cases().Single(c => c.Name == name);

    [Fact]
    public void The_table_names_every_strict_trace()
    {
        var names = TraceRunner.Cases().Select(c => c.Name).ToHashSet();
        string[] files = Directory.GetFiles(Path.Combine(TraceRunner.MosDirectory, "traces", "strict"), "*.txt")
            .Select(f => Path.GetFileNameWithoutExtension(f)).ToArray();
        Assert.Equal(53, names.Count);
        foreach (string f in files)
            Assert.Contains(f, names);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MosCompat_output_equals_the_reference_trace(string name)
    {
        TraceRunner.Case c = Find(name);
        TraceRunner.Result r = TraceRunner.Run(c.Arguments);
        Assert.Equal(TraceRunner.Reference(name), r.Output);
        // 37_peek_force_fin: mOS exit()s in the peek (B1); the reference ends with the diagnostic line.
        Assert.Equal(name == "37_peek_force_fin" ? 1 : 0, r.ExitCode);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Default_output_differs_exactly_as_DEVIATIONS_lists(string name)
    {
        TraceRunner.Case c = Find(name);
        TraceRunner.Result r = TraceRunner.Run(c.Arguments.Where(a => a != "--mos-compat"));
        string expected = DeviationRules.Expected(name, TraceRunner.Reference(name));
        // A trace the index names really changes (the rules found the lines they edit).
        Assert.Equal(DeviationRules.Index.ContainsKey(name), expected != TraceRunner.Reference(name));
        Assert.Equal(expected, r.Output);
        if (name == "36_rmem1000")
        {
            Assert.Equal(2, r.ExitCode); // B31: configuration refused before any output
            Assert.Contains("rmem_size", r.Error, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(0, r.ExitCode);
        }
    }

    [Fact]
    public void Unknown_set_key_is_a_usage_error_in_both_modes()
    {
        string pcap = Path.Combine(TraceRunner.MosDirectory, "pcaps", "01_handshake_close.pcap");
        foreach (string[] extra in (string[][])[[], ["--mos-compat"]])
        {
            TraceRunner.Result r = TraceRunner.Run([pcap, "--set", "no_such_key=1", .. extra]);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal("", r.Output);
        }
    }

    [Fact]
    public void A_mos_configuration_file_equals_the_set_options()
    {
        // mos_to1.conf of the reference runs: the defaults with tcp_timeout = 1, mOS's block syntax (TRACER §2.2).
        string conf = Path.Combine(Path.GetTempPath(), $"mos_to1-{Environment.ProcessId}.conf");
        File.WriteAllText(conf, """
            # reference configuration, idle timeout 1 s
            mos {
                forward = 1
                rmem_size = 8192
                tcp_timeout = 1
                tcp_tw_interval = 0
                mos_log = logs/
                netdev {
                    dpdk0 0x0001
                }
                arp_table {
                }
                route_table {
                }
            }
            """);
        try
        {
            TraceRunner.Case c = Find("30_idle_timeout");
            string[] args = [c.Arguments[0], "--mos-compat", "--config", conf, "--timer-ms", "500", "--tail-ms", "2500"];
            TraceRunner.Result r = TraceRunner.Run(args);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(TraceRunner.Reference("30_idle_timeout"), r.Output);
            File.AppendAllText(conf, "unknown_key = 3\n");
            TraceRunner.Result warned = TraceRunner.Run(args);
            Assert.Equal(TraceRunner.Reference("30_idle_timeout"), warned.Output); // unknown keys in a file: a warning only
            Assert.Contains("unknown_key", warned.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(conf);
        }
    }

    [Fact]
    public void Stop_at_without_stop_side_is_refused()
    {
        string pcap = Path.Combine(TraceRunner.MosDirectory, "pcaps", "01_handshake_close.pcap");
        Assert.Equal(2, TraceRunner.Run([pcap, "--stop-at", "3"]).ExitCode);
    }
}
