using System.Diagnostics;
using System.Text.Json;
using Tributary.Flows.Applications.Stats;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Trace;

/// <summary>Capture input of the flows commands: truncated files, standard input, live capture (DESIGN.md "Bad input").</summary>
[Collection(LiveTimingCollection.Name)]
public sealed class InputTests
{
    private static string Bin => Launcher.Path;

    private static string TruncatedCopy()
    {
        byte[] full = File.ReadAllBytes(Path.Combine(TraceRunner.MosDirectory, "pcaps", "01_handshake_close.pcap"));
        string path = Path.Combine(Path.GetTempPath(), $"flows-trunc-{Environment.ProcessId}.pcap");
        File.WriteAllBytes(path, full[..(full.Length - 30)]); // the last record is cut
        return path;
    }

    [Fact]
    public void A_truncated_capture_is_processed_up_to_the_fault_then_named_with_its_offset()
    {
        string path = TruncatedCopy();
        try
        {
            TraceRunner.Result trace = TraceRunner.Run([path, "--mos-compat"]);
            Assert.Equal(1, trace.ExitCode);
            string[] reference = TraceRunner.Reference("01_handshake_close").Split('\n');
            // Frames 1–9 printed exactly as the reference, no frame 10, no footer.
            Assert.StartsWith(string.Join('\n', reference.TakeWhile(l => !l.StartsWith("=== #10", StringComparison.Ordinal))), trace.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("=== #10", trace.Output, StringComparison.Ordinal);
            Assert.Contains(path, trace.Error, StringComparison.Ordinal);
            Assert.Matches("offset|byte", trace.Error);

            ProcessResult stats = ProcessRunner.Run(Bin, ["flows", "stats", "--json", path]);
            Assert.Equal(1, stats.ExitCode);
            Assert.Contains("\"packets\":9", stats.StandardOutput, StringComparison.Ordinal);
            Assert.Contains(path, stats.StandardError, StringComparison.Ordinal);

            ProcessResult summary = ProcessRunner.Run(Bin, ["flows", "summary", path]);
            Assert.Equal(1, summary.ExitCode);
            Assert.Equal(2, summary.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // header + the flow
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Standard_input_is_read_with_a_dash()
    {
        string pcap = Path.Combine(SharedPaths.Corpus, "gen__misc_v4.pcap");
        string output = RunPiped(pcap, "flows", "summary", "-");
        ProcessResult fromFile = ProcessRunner.Run(Bin, ["flows", "summary", pcap]);
        Assert.Equal(fromFile.StandardOutput, output);
        Assert.Equal(24, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Stats_over_standard_input_runs_one_context_and_says_so()
    {
        // A pipe cannot be mapped, so it cannot be cut into chunks: --threads 2 runs one context, and the output
        // reports the contexts that ran, not the ones asked for.
        string pcap = Path.Combine(SharedPaths.Corpus, "gen__misc_v4.pcap");
        using JsonDocument piped = JsonDocument.Parse(RunPiped(pcap, "flows", "stats", "--threads", "2", "--json", "-"));
        using JsonDocument mapped = JsonDocument.Parse(ProcessRunner.Run(Bin, ["flows", "stats", "--threads", "2", "--json", pcap]).StandardOutput);
        Assert.Equal(1, piped.RootElement.GetProperty("threads").GetInt32());
        Assert.Equal(2, mapped.RootElement.GetProperty("threads").GetInt32());
        // And how each was read: the pipe by one context; the file as the engine reads it (too small to cut: one
        // reader routing to two contexts).
        Assert.Equal("single", piped.RootElement.GetProperty("strategy").GetString());
        Assert.Equal("pipelined", new FlowStatistics(new FlowStatisticsOptions { Threads = 2 }).Run(pcap).Strategy);
        Assert.Equal("pipelined", mapped.RootElement.GetProperty("strategy").GetString());
        long packets = piped.RootElement.GetProperty("packets").GetInt64();
        Assert.Equal([packets], piped.RootElement.GetProperty("shard_packets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(2, mapped.RootElement.GetProperty("shard_packets").GetArrayLength());
        foreach (string key in (string[])["packets", "tcp_packets", "flows", "orphans", "rexmits", "errors"])
            Assert.Equal(mapped.RootElement.GetProperty(key).GetInt64(), piped.RootElement.GetProperty(key).GetInt64());
    }

    /// <summary>Runs the tool with <paramref name="pcap"/> on its standard input; its standard output (exit code 0 asserted).</summary>
    private static string RunPiped(string pcap, params string[] args)
    {
        var psi = new ProcessStartInfo(Bin, args) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        using (FileStream f = File.OpenRead(pcap))
            f.CopyTo(p.StandardInput.BaseStream);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }

    [KernelFact("python3")]
    public void Live_capture_runs_until_SIGINT_and_prints_the_flows()
    {
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fli");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, Bin, "flows", "summary", "--interface", "lo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process monitor = Process.Start(psi)!;
        PacketSockets.WaitFor(monitor, 1);
        const string talk = """
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 9000)); s.listen(1)
def srv():
    c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
threading.Thread(target=srv).start()
c = socket.create_connection(("127.0.0.1", 9000)); c.sendall(b"hello"); print(c.recv(100)); c.close()
""";
        Assert.Contains("HELLO", ns.Exec("python3", "-c", talk).EnsureSuccess("client").StandardOutput, StringComparison.Ordinal);
        Thread.Sleep(500);
        ProcessRunner.Run("kill", "-INT", monitor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(monitor.WaitForExit(15_000));
        string output = monitor.StandardOutput.ReadToEnd();
        Assert.Equal(0, monitor.ExitCode);
        Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0\n$", monitor.StandardError.ReadToEnd());
        string row = output.Split('\n').Single(l => l.Contains("\t9000\t", StringComparison.Ordinal));
        string[] cols = row.Split('\t');
        Assert.Equal("syn", cols[5]);
        Assert.Equal("5", cols[19]);   // len_c2s: "hello"
        Assert.Equal("5", cols[20]);   // len_s2c: "HELLO"
    }

    [KernelFact("python3")]
    public void Live_stats_with_threads_shares_the_connections_over_a_fanout_group_with_the_totals_of_one_thread()
    {
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("flf");
        Process Start(params string[] extra)
        {
            var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, Bin, "flows", "stats", "--json", "--interface", "lo", .. extra])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            return Process.Start(psi)!;
        }
        using Process one = Start();
        using Process sharded = Start("--threads", "2");
        PacketSockets.WaitFor(one, 1);
        PacketSockets.WaitFor(sharded, 2); // a fanout group of two captures
        const string talk = """
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 9000)); s.listen(64)
def srv():
    for i in range(40):
        c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=srv); t.start()
for i in range(40):
    c = socket.create_connection(("127.0.0.1", 9000)); c.sendall(b"hello"); c.recv(100); c.close()
t.join()
""";
        ns.Exec("python3", "-c", talk).EnsureSuccess("connections");
        Thread.Sleep(500);
        var outputs = new List<JsonElement>();
        foreach (Process p in new[] { one, sharded })
        {
            ProcessRunner.Run("kill", "-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(p.WaitForExit(15_000));
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
            outputs.Add(JsonDocument.Parse(stdout).RootElement);
        }
        Assert.Equal(2, outputs[1].GetProperty("threads").GetInt32());
        Assert.Equal("single", outputs[0].GetProperty("strategy").GetString());
        Assert.Equal("fanout", outputs[1].GetProperty("strategy").GetString());
        // The kernel spread the connections over both captures (all 40 on one side: 2^-39), and they add up.
        long[] shards = [.. outputs[1].GetProperty("shard_packets").EnumerateArray().Select(e => e.GetInt64())];
        Assert.Equal(2, shards.Length);
        Assert.All(shards, n => Assert.True(n > 0));
        Assert.Equal(outputs[0].GetProperty("packets").GetInt64(), shards.Sum());
        Assert.Equal(40, outputs[0].GetProperty("flows").GetInt64());
        foreach (string key in new[] { "packets", "tcp_packets", "flows", "orphans", "rexmits", "errors", "malformed" })
            Assert.Equal(outputs[0].GetProperty(key).GetInt64(), outputs[1].GetProperty(key).GetInt64());
        Assert.Equal(outputs[0].GetProperty("final_states").ToString(), outputs[1].GetProperty("final_states").ToString());
    }

    [KernelFact("python3")]
    public void A_live_trace_is_written_as_it_happens_and_its_timers_fire_on_the_wall_clock()
    {
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("flt");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, Bin, "flows", "trace", "--timer-ms", "300", "--interface", "lo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process monitor = Process.Start(psi)!;
        try
        {
            Follow(monitor, ns);
        }
        finally
        {
            if (!monitor.HasExited)
                monitor.Kill();
        }
    }

    private static void Follow(Process monitor, TestNetworkNamespace ns)
    {
        string NextLine()
        {
            Task<string?> line = monitor.StandardOutput.ReadLineAsync();
            Assert.True(line.Wait(TimeSpan.FromSeconds(10)), "no line within 10 s of a live trace");
            return line.Result ?? throw new InvalidOperationException("the trace ended");
        }
        Assert.Equal("  stream listener sock=0", NextLine());
        Assert.Equal("  settimer(id=77, 300 ms) -> 0", NextLine());
        // No frame yet: the timer fires 300 ms on, on the wall clock, and the line is there while the run goes on.
        Assert.Equal("  #0 TIMER id=77 side=0 ev=0 arg=(nil)", NextLine());
        PacketSockets.WaitFor(monitor, 1);
        ns.Exec("python3", "-c", "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))").EnsureSuccess("datagram");
        Assert.StartsWith("=== #1 127.0.0.1>127.0.0.1 proto=17", NextLine(), StringComparison.Ordinal);
        Assert.False(monitor.HasExited);
        ProcessRunner.Run("kill", "-TERM", monitor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(monitor.WaitForExit(15_000));
        Assert.Equal(0, monitor.ExitCode);
    }

    [KernelTheory("python3")]
    [InlineData("summary")]
    [InlineData("summary --checksums")]
    [InlineData("stats")]
    [InlineData("stats --checksums")]
    [InlineData("stats --threads 2")]
    [InlineData("trace")]
    public void A_live_capture_whose_interface_goes_down_prints_what_it_saw_then_the_error(string command)
    {
        // The interface going down (or away) ends a live capture like a fault ends a file: everything before it is
        // processed and printed, then one line names the fault, exit 1. Packets on lo carry TCP checksums that were
        // never filled in (the kernel marks them): the trace, and --checksums, still see the connection.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fld");
        string[] words = command.Split(' ');
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, Bin, "flows", .. words, "--interface", "lo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process monitor = Process.Start(psi)!;
        PacketSockets.WaitFor(monitor, words.Contains("--threads") ? 2 : 1);
        const string talk = """
import socket
s = socket.socket(); s.bind(("127.0.0.1", 9000)); s.listen(1)
c = socket.create_connection(("127.0.0.1", 9000)); a, _ = s.accept()
c.sendall(b"hello"); a.recv(100); a.sendall(b"HELLO"); c.recv(100); c.close(); a.close()
""";
        ns.Exec("python3", "-c", talk).EnsureSuccess("exchange");
        Thread.Sleep(500); // the ring hands its block over after 50 ms
        ns.Ip("link", "set", "lo", "down");
        Task<string> stdout = monitor.StandardOutput.ReadToEndAsync();
        Task<string> stderr = monitor.StandardError.ReadToEndAsync();
        Assert.True(monitor.WaitForExit(15_000), "still running after its interface went down");
        // What the kernel counted (as tcpdump's "dropped by kernel"), then the fault.
        string[] errors = stderr.Result.TrimEnd('\n').Split('\n');
        Assert.Equal(2, errors.Length);
        Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0$", errors[0]);
        Assert.Equal("tributary: lo: capture on lo: Network is down (ENETDOWN)", errors[1]);
        Assert.Equal(1, monitor.ExitCode);
        string[] lines = stdout.Result.Split('\n');
        switch (words[0])
        {
            case "summary":
                string[] header = lines[0].Split('\t');
                string[] row = lines.Single(l => l.Contains("\t9000\t", StringComparison.Ordinal)).Split('\t');
                string Column(string name) => row[Array.IndexOf(header, name)];
                Assert.Equal(("1", "1", "5", "5"), (Column("syn"), Column("synack"), Column("len_c2s"), Column("len_s2c")));
                break;
            case "stats":
                Assert.Contains("flows 1", lines);
                Assert.Contains("checksum_errors 0", lines);
                Assert.Contains(words.Contains("--threads") ? "threads 2" : "threads 1", lines);
                break;
            default:
                Assert.Equal(1, Array.FindIndex(lines, l => l.StartsWith("=== #1 127.0.0.1:", StringComparison.Ordinal) && l.Contains(">127.0.0.1:9000 [S]", StringComparison.Ordinal)));
                Assert.Equal("    HK_SND sock=1 side=CLI CONN_START cli=SYN_SENT svr=ERR", lines[3]);
                Assert.Contains(lines, l => l.Contains(" CONN_NEW_DATA ", StringComparison.Ordinal));
                break;
        }
    }
}
