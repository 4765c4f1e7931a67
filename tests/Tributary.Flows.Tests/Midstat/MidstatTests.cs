using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Midstat;
using Tributary.Flows.Applications.Trace;
using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Midstat;

/// <summary>
/// <c>flows midstat</c>, mOS's midstat sample (SAMPLES.md §1): the table's states against the reference traces, its
/// timer on a capture's clock, and live on the wall clock.
/// </summary>
[Collection(LiveTimingCollection.Name)]
public sealed partial class MidstatTests
{
    private const string Header = "Proto CPU Client Address        Client State Server Address        Server State";

    private static string Pcap(string name) => Path.Combine(SharedPaths.Reference, "mos", "pcaps", name);

    /// <summary>Each table of <paramref name="output"/>: its rows.</summary>
    private static List<string[]> Tables(string output)
    {
        var tables = new List<string[]>();
        foreach (string block in output.Split("\n\n"))
        {
            string[] lines = block.TrimEnd('\n').Split('\n');
            Assert.Equal(Header, lines[0]);
            tables.Add(lines[1..]);
        }
        return tables;
    }

    [GeneratedRegex(@"cli=(\S+) svr=(\S+)$")]
    private static partial Regex States();

    [Theory]
    [InlineData(false, "01_handshake_close.txt")]
    [InlineData(true, "34_nobuf_close.txt")]
    public void After_each_frame_the_table_shows_the_states_the_reference_trace_reads_then_the_flow_goes(bool compat, string trace)
    {
        // A table every 1 ms of capture time, frames 1 ms apart: table k shows the connection after frame k. The states
        // are those the reference trace (mOS's strict build) reads at the end of frame k: with --mos-compat those of the
        // run without buffers, which froze the server's sequence tracking (B17: CLOSING, not LAST_ACK, after the server's
        // FIN); by default those of the buffered run. Frame 10 ends the connection: the final table is empty.
        var output = new StringWriter();
        var monitor = new MidstatMonitor(TraceConfiguration.Build(compat, null, [], null), output, TimeSpan.FromMilliseconds(1));
        using (CaptureFrameSource source = CaptureFrameSource.Open(Pcap("01_handshake_close.pcap")))
            monitor.Run(source);

        List<string[]> tables = Tables(output.ToString());
        string[] reference = File.ReadAllLines(Path.Combine(SharedPaths.Reference, "mos", "traces", "strict", trace));
        Assert.Equal(10, tables.Count);
        for (int frame = 1; frame <= 9; frame++)
        {
            string last = reference.TakeWhile(l => !l.StartsWith($"=== #{frame + 1} ", StringComparison.Ordinal)).Last(l => l.StartsWith("    HK_", StringComparison.Ordinal));
            Match m = States().Match(last);
            string row = Assert.Single(tables[frame - 1]);
            Assert.Equal($"tcp   0   10.0.0.1:40000        {m.Groups[1].Value,-12} 10.0.0.2:80           {m.Groups[2].Value}", row);
        }
        Assert.Empty(tables[9]);
        Assert.Equal(10, monitor.Tables);
        Assert.Equal(compat ? "CLOSING" : "LAST_ACK", tables[8][0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
    }

    [Fact]
    public void A_file_prints_a_table_every_second_of_its_own_time_and_a_final_one()
    {
        // A (IPv4) from 0.2 s to 2.8 s; B (IPv6) from 1.5 s on. The timer is set up 1 µs before the first frame, so
        // tables fall at 1.199999, 2.199999 and 3.199999 s; the last frame is at 3.5 s, then the final table.
        string pcap = Path.Combine(Path.GetTempPath(), $"midstat-{Guid.NewGuid():N}.pcap");
        try
        {
            const long Base = 1_700_000_000_000_000L;
            (double At, byte[] Frame)[] frames =
            [
                (0.2, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Syn, 1000, 0)),
                (0.3, Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Syn | Ack, 5000, 1001)),
                (0.4, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, 1001, 5001)),
                (1.5, Tcp("fd00::1", 40001, "fd00::2", 443, Syn, 7000, 0)),
                (1.6, Tcp("fd00::2", 443, "fd00::1", 40001, Syn | Ack, 9000, 7001)),
                (1.7, Tcp("fd00::1", 40001, "fd00::2", 443, Ack, 7001, 9001)),
                (2.5, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Fin | Ack, 1001, 5001)),
                (2.6, Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Ack, 5001, 1002)),
                (2.7, Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Fin | Ack, 5001, 1002)),
                (2.8, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, 1002, 5002)),
                (3.5, Tcp("fd00::1", 40001, "fd00::2", 443, Psh | Ack, 7001, 9001, Text("hi"))),
            ];
            using (var writer = new PcapWriter(File.Create(pcap), LinkType.Ethernet))
            {
                foreach ((double at, byte[] frame) in frames)
                    writer.Write(frame, frame.Length, (Base + (long)Math.Round(at * 1_000_000)) * 1000, LinkType.Ethernet);
            }
            ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", pcap]);
            Assert.True(r.ExitCode == 0, r.StandardError);
            const string A = "tcp   0   10.0.0.1:40000        ESTABLISHED  10.0.0.2:80           ESTABLISHED";
            const string B = "tcp   0   [fd00::1]:40001       ESTABLISHED  [fd00::2]:443         ESTABLISHED";
            Assert.Equal(string.Join('\n', [Header, A, "", Header, A, B, "", Header, B, "", Header, B, ""]), r.StandardOutput);
            Assert.Equal("", r.StandardError);

            // Only the final table.
            ProcessResult once = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", pcap, "--interval", "0"]);
            Assert.Equal(string.Join('\n', [Header, B, ""]), once.StandardOutput);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void A_capture_whose_clock_jumps_a_year_and_a_half_prints_no_table_for_the_quiet_seconds()
    {
        // Three frames over 604 days (one TCP segment, then two non-TCP frames): one table for the first second,
        // then the final one. Every second of the jump printed its own table before: 52 million of them.
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", Path.Combine(SharedPaths.Corpus, "pub__ppp__null_loopback.pcap")],
            standardInput: null, timeout: TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.StandardError);
        Assert.Equal(string.Join('\n', [Header, "", Header, ""]), r.StandardOutput);
    }

    [Theory]
    [InlineData("--interval", "-1", "--interval must be between 0 and 86400 seconds")]
    [InlineData("--interval", "soon", "--interval: 'soon' is not a number of seconds (--interval must be between 0 and 86400 seconds)")]
    [InlineData("--midstream", "--mos-compat", "--midstream cannot be combined with --mos-compat")]
    [InlineData("--set", "tcp_timeout=x", "tcp_timeout must be an integer (got 'x')")]
    public void Bad_options_are_refused_before_any_output(string option, string value, string message)
    {
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", Pcap("01_handshake_close.pcap"), option, value]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        Assert.Contains(message, r.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Starts <c>flows midstat ARGS</c> in <paramref name="ns"/> and waits for its <paramref name="captures"/> packet sockets.</summary>
    private static Process StartLive(TestNetworkNamespace ns, int captures, params string[] args)
    {
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, Launcher.Path, "flows", "midstat", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process monitor = Process.Start(psi)!;
        PacketSockets.WaitFor(monitor, captures);
        return monitor;
    }

    [KernelFact("python3")]
    public void Live_the_table_is_printed_on_the_wall_clock_also_while_the_connection_is_quiet()
    {
        // A connection on lo that stays open and silent for 2 s, then closes. Tables every 0.2 s keep coming while
        // nothing is sent (the clock follows the wall clock), show both endpoints ESTABLISHED, and the row goes
        // after the close. SIGTERM ends the run with a final table, exit 0.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("flm");
        using Process monitor = StartLive(ns, 1, "--interval", "0.2", "--interface", "lo");
        try
        {
            const string talk = """
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7000)); s.listen(1)
c = socket.create_connection(("127.0.0.1", 7000)); a, _ = s.accept()
print(c.getsockname()[1], flush=True)
time.sleep(2)
c.close(); a.close()
time.sleep(1)
""";
            ProcessResult client = ns.Exec("python3", "-c", talk).EnsureSuccess("connection");
            int port = int.Parse(client.StandardOutput.Trim(), CultureInfo.InvariantCulture);
            ProcessRunner.Run("kill", "-TERM", monitor.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(monitor.WaitForExit(15_000));
            Assert.Equal(0, monitor.ExitCode);
            List<string[]> tables = Tables(monitor.StandardOutput.ReadToEnd());
            string open = $"tcp   0   {"127.0.0.1:" + port,-21} ESTABLISHED  127.0.0.1:7000        ESTABLISHED";
            // 2 s of silence at 0.2 s: about 10 tables with the open connection (at least 5 on a slow machine).
            int during = tables.Count(t => t.SequenceEqual([open]));
            Assert.True(during >= 5, $"{during} tables showed the quiet connection:\n{string.Join("\n--\n", tables.Select(t => string.Join('\n', t)))}");
            int lastOpen = tables.FindLastIndex(t => t.Contains(open));
            Assert.True(lastOpen < tables.Count - 2, "no table after the close");
            Assert.All(tables[(lastOpen + 1)..], Assert.Empty);
            Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0\n$", monitor.StandardError.ReadToEnd());
        }
        finally
        {
            if (!monitor.HasExited)
                monitor.Kill();
        }
    }

    [KernelFact("python3")]
    public void Live_with_threads_the_connections_are_spread_over_the_contexts_and_printed_as_one_table()
    {
        // 16 connections held open on lo for 2 s. The kernel's fanout hash spreads them over two captures (all on one:
        // 2^-15); each table lists all 16, shard 0's rows first, every row ESTABLISHED on both sides.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("flm");
        using Process monitor = StartLive(ns, 2, "--threads", "2", "--interval", "0.25", "--interface", "lo");
        try
        {
            const string talk = """
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7002)); s.listen(32)
pairs = []
for i in range(16):
    c = socket.create_connection(("127.0.0.1", 7002)); a, _ = s.accept(); pairs.append((c, a))
time.sleep(2)
for c, a in pairs:
    c.close(); a.close()
time.sleep(1)
""";
            ns.Exec("python3", "-c", talk).EnsureSuccess("connections");
            ProcessRunner.Run("kill", "-TERM", monitor.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(monitor.WaitForExit(15_000));
            Assert.Equal(0, monitor.ExitCode);
            List<string[]> tables = Tables(monitor.StandardOutput.ReadToEnd());
            string[] full = tables.First(t => t.Length == 16);
            Assert.All(full, row => Assert.Matches(@"^tcp   [01]   127\.0\.0\.1:\d+ +ESTABLISHED  127\.0\.0\.1:7002        ESTABLISHED$", row));
            string[] cpus = [.. full.Select(row => row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])];
            Assert.Contains("0", cpus);
            Assert.Contains("1", cpus);
            Assert.Equal(cpus.Order(StringComparer.Ordinal), cpus); // shard 0's rows first
            Assert.True(tables.Count(t => t.Length == 16) >= 4, "the open connections were in fewer than 4 tables");
            Assert.Empty(tables[^1]);
            string[] errors = monitor.StandardError.ReadToEnd().TrimEnd('\n').Split('\n');
            Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0$", Assert.Single(errors));
        }
        finally
        {
            if (!monitor.HasExited)
                monitor.Kill();
        }
    }

    [Fact]
    public void Threads_need_a_live_interface()
    {
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "midstat", Pcap("01_handshake_close.pcap"), "--threads", "2"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--threads needs --interface", r.StandardError, StringComparison.Ordinal);
    }
}
