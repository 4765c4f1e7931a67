using System.Diagnostics;
using System.Globalization;
using Tributary.Flows.Tests.Inline;

namespace Tributary.Flows.Tests.Firewall;

/// <summary>
/// <c>tributary flows firewall</c> as a user runs it: a corpus capture replayed through a DROP rule, checked with tshark
/// and tcpdump as independent readers; inline between real kernel endpoints (<see cref="InlineLab"/>); bad command lines.
/// </summary>
public sealed class FlowsFirewallCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("trib-fw").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Rules(string text)
    {
        string path = Path.Combine(_dir, "rules.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private static int Count(string program, params string[] args) =>
        ProcessRunner.Run(program, args).EnsureSuccess(program).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The "flows" column of each rule in the last table of <paramref name="stdout"/>.</summary>
    private static long[] LastTableHits(string stdout)
    {
        string table = stdout.Split("Firewall rule table\n")[^1];
        return table.Split('\n').Skip(1).TakeWhile(l => !l.StartsWith("---", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToArray();
    }

    private const string SynTo8000 = "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst port 8000";

    [ToolFact("tshark", "tcpdump")]
    public void A_replayed_capture_loses_exactly_the_SYNs_a_DROP_rule_names()
    {
        // gen__misc_v4: connections to 21 ports, among them 12 SYNs to 8000 (4-tuple reuse) and unanswered SYN retransmissions to 9999.
        string input = SharedPaths.RequireShared("corpus", "gen__misc_v4.pcap");
        int synsTo8000 = Count("tshark", "-r", input, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8000");
        int inputFrames = Count("tshark", "-r", input);
        Assert.True(synsTo8000 >= 2, $"{synsTo8000} SYNs to port 8000");

        string output = Path.Combine(_dir, "out.pcap");
        ProcessResult r = TributaryCli.Run(["flows", "firewall", "--rules", Rules("DROP 10.77.0.1 10.77.0.2 dport:8000\nACCEPT 0.0.0.0 0.0.0.0 dport:8000\n"),
            input, "--write", output, "--interval", "0"], null);
        Assert.Equal("", r.StandardError);
        Assert.Equal(0, r.ExitCode);

        Assert.Equal(0, Count("tcpdump", "-nn", "-r", output, SynTo8000));
        Assert.Equal(inputFrames - synsTo8000, Count("tcpdump", "-nn", "-r", output));
        // Every other frame, bytes and capture times, as tcpdump itself would have filtered it.
        string expected = Path.Combine(_dir, "expected.pcap");
        ProcessRunner.Run("tcpdump", "-r", input, "-w", expected, $"not ({SynTo8000})").EnsureSuccess("tcpdump -w");
        Assert.Equal(ProcessRunner.Run("tcpdump", "-nn", "-tt", "-xx", "-r", expected).StandardOutput,
            ProcessRunner.Run("tcpdump", "-nn", "-tt", "-xx", "-r", output).StandardOutput);

        Assert.Single(r.StandardOutput.Split("Firewall rule table\n")[1..]); // --interval 0: the final table only
        Assert.Equal([synsTo8000, 0L], LastTableHits(r.StandardOutput));
    }

    [ToolFact("tshark")]
    public void The_output_keeps_the_link_types_of_the_input_and_a_pcap_file_refuses_a_second_one()
    {
        // pub__mptcp__client_2_sll.pcap is pcapng with one Linux SLL interface (its header says nothing of it until the
        // interface block); pub__ppp__many_interfaces.pcapng has Ethernet and BSD loopback interfaces.
        string sll = SharedPaths.RequireShared("corpus", "pub__mptcp__client_2_sll.pcap");
        string mixed = SharedPaths.RequireShared("corpus", "pub__ppp__many_interfaces.pcapng");
        string rules = Rules("DROP 0.0.0.0 0.0.0.0 dport:1\n");
        string Encapsulations(string file) => string.Join(',', ProcessRunner.Run("tshark", "-r", file, "-T", "fields", "-e", "frame.encap_type")
            .EnsureSuccess("tshark").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Order(StringComparer.Ordinal));

        string outSll = Path.Combine(_dir, "sll.pcap");
        TributaryCli.Run(["flows", "firewall", "--rules", rules, sll, "--write", outSll, "--interval", "0"], null).EnsureSuccess("firewall sll");
        Assert.Equal(Encapsulations(sll), Encapsulations(outSll));
        Assert.Equal(Count("tshark", "-r", sll), Count("tshark", "-r", outSll));

        string outMixed = Path.Combine(_dir, "mixed.pcapng");
        TributaryCli.Run(["flows", "firewall", "--rules", rules, mixed, "--write", outMixed, "--interval", "0"], null).EnsureSuccess("firewall mixed");
        Assert.Contains(",", Encapsulations(mixed), StringComparison.Ordinal);
        Assert.Equal(Encapsulations(mixed), Encapsulations(outMixed));

        ProcessResult pcap = TributaryCli.Run(["flows", "firewall", "--rules", rules, mixed, "--write", Path.Combine(_dir, "mixed.pcap"), "--interval", "0"], null);
        Assert.Equal(1, pcap.ExitCode);
        Assert.Contains("a .pcapng file keeps frames of several link types", pcap.StandardError, StringComparison.Ordinal);
    }

    [ToolFact("tshark")]
    public void Frames_the_stack_discards_are_counted_on_stderr_not_lost_silently()
    {
        // pub__ppp__http_packets: 116 frames whose IPv4 header checksum is wrong. A router drops them, and so does the
        // replay (as mOS does); the rules drop nothing here.
        string input = SharedPaths.RequireShared("corpus", "pub__ppp__http_packets.pcap");
        int bad = Count("tshark", "-r", input, "-o", "ip.check_checksum:TRUE", "-Y", "ip.checksum.status == 0");
        Assert.Equal(116, bad);
        string output = Path.Combine(_dir, "out.pcap");
        ProcessResult r = TributaryCli.Run(["flows", "firewall", "--rules", Rules("DROP 0.0.0.0 0.0.0.0 dport:1\n"), input, "--write", output, "--interval", "0"], null);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"tributary: {bad} frames not forwarded: discarded by the stack (a bad IPv4 header checksum, or a malformed IP or TCP header), as by a router and by mOS\n", r.StandardError);
        Assert.Equal(Count("tshark", "-r", input) - bad, Count("tshark", "-r", output));
        Assert.Equal(0, Count("tshark", "-r", output, "-o", "ip.check_checksum:TRUE", "-Y", "ip.checksum.status == 0"));
    }

    [Fact]
    public void A_capture_prints_a_table_every_second_of_capture_time_and_a_final_one()
    {
        // misc_v4 spans 8.77 s of capture time: eight periodic tables, then the final one.
        ProcessResult r = TributaryCli.Run("flows", "firewall", "--rules", Rules("DROP 0.0.0.0 0.0.0.0 dport:8000\n"),
            SharedPaths.RequireShared("corpus", "gen__misc_v4.pcap"));
        Assert.Equal(0, r.ExitCode);
        string[] tables = r.StandardOutput.Split("Firewall rule table\n")[1..];
        Assert.Equal(9, tables.Length);
        Assert.StartsWith(new string('-', 71) + "\n", r.StandardOutput, StringComparison.Ordinal);
    }

    [KernelFact("python3", "ethtool")]
    public void Inline_the_SYNs_of_a_DROP_rule_never_reach_the_server()
    {
        using var lab = new InlineLab();
        string rules = Rules("""
            DROP   10.99.0.1 10.99.0.2 dport:8081
            ACCEPT 10.99.0.2 10.99.0.1
            """);
        (Process started, string stdout, string stderr) = StartInline(lab, rules);
        using Process firewall = started;
        try
        {
            Assert.Equal("got:x", lab.Talk(8080, "x"));
            Assert.Equal("ERR TimeoutError", lab.Talk(8081, "y"));
            ProcessRunner.Run("kill", "-TERM", firewall.Id.ToString(CultureInfo.InvariantCulture)).EnsureSuccess("kill");
            Assert.True(firewall.WaitForExit(TimeSpan.FromSeconds(10)), "no exit after SIGTERM");
            Assert.Equal("", File.ReadAllText(stderr));
            Assert.Equal(0, firewall.ExitCode);
            long[] hits = LastTableHits(File.ReadAllText(stdout));
            Assert.True(hits[0] >= 1, $"rule 1: {hits[0]}");
            Assert.Equal(0, hits[1]);
        }
        finally
        {
            if (!firewall.HasExited)
                firewall.Kill();
        }
    }

    [KernelFact("python3", "ethtool")]
    public void Inline_an_interface_that_goes_away_ends_the_run_with_the_table_and_the_error_even_when_idle()
    {
        using var lab = new InlineLab();
        // No IPv6 router solicitations from C: after the last connection nothing reaches the box, so only its idle
        // wait can notice that b1 went away (a frame to forward would find it at the send).
        lab.C.Sysctl("net.ipv6.conf.all.disable_ipv6", "1");
        (Process started, string stdout, string stderr) = StartInline(lab, Rules("DROP 10.99.0.1 10.99.0.2 dport:8081\n"));
        using Process firewall = started;
        try
        {
            Assert.Equal("got:x", lab.Talk(8080, "x"));
            lab.Box.Ip("link", "del", "b1"); // and s0 with it; no traffic after this
            Assert.True(firewall.WaitForExit(TimeSpan.FromSeconds(10)), "still running with one interface gone");
            Assert.Equal(1, firewall.ExitCode);
            // Normally the capture's report; a late frame from C (an ARP probe) may meet the send first.
            Assert.Matches(@"^tributary: (capture on b1|send\(b1, \d+ bytes\)): .+ \(E[A-Z]+\)\n$", File.ReadAllText(stderr));
            Assert.EndsWith(new string('-', 71) + "\n", File.ReadAllText(stdout), StringComparison.Ordinal); // the final table
        }
        finally
        {
            if (!firewall.HasExited)
                firewall.Kill();
        }
    }

    [KernelFact("python3", "ethtool")]
    public void Inline_a_UDP_GSO_datagram_leaves_as_the_sender_s_datagrams_and_TCP_super_frames_are_segmented()
    {
        // C keeps its offloads: TCP super-frames are cut to the MTU; a UDP_SEGMENT send (as QUIC stacks do) reaches
        // the box as one 3,042-byte frame, which must leave as the three 1,000-byte datagrams the sender made (the
        // kernel tells the box the segment size; the frame alone does not).
        using var lab = new InlineLab(endpointSegmentationOffload: true);
        (Process started, string stdout, string stderr) = StartInline(lab, Rules("DROP 10.99.0.1 10.99.0.2 dport:8081\n"));
        using Process firewall = started;
        try
        {
            Assert.Equal("got:x", lab.Talk(8080, "x")); // also resolves S's address in C
            using var receiver = new BackgroundProcess("ip", "netns", "exec", lab.S.Name, "python3", "-u", "-c", """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.99.0.2", 9999)); s.settimeout(5)
                print("ready", flush=True)
                sizes = []
                try:
                    while len(sizes) < 3:
                        sizes.append(len(s.recv(65536)))
                except OSError:
                    pass
                print(sizes, flush=True)
                """);
            TaskTimeouts.WaitUntil(() => receiver.Output.Contains("ready", StringComparison.Ordinal), what: "the UDP receiver");
            lab.C.Exec("python3", "-c", """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.IPPROTO_UDP, 103, 1000)  # UDP_SEGMENT: three 1000-byte datagrams, sent as one
                s.sendto(b"q" * 3000, ("10.99.0.2", 9999))
                """).EnsureSuccess("UDP GSO send");
            TaskTimeouts.WaitUntil(() => receiver.Output.Contains(']', StringComparison.Ordinal), what: "the datagrams");
            Assert.Equal("ready\n[1000, 1000, 1000]\n", receiver.Output);
            Assert.Equal("ok 300004", lab.TalkBulk(8080, 300_000));
            ProcessRunner.Run("kill", "-TERM", firewall.Id.ToString(CultureInfo.InvariantCulture)).EnsureSuccess("kill");
            Assert.True(firewall.WaitForExit(TimeSpan.FromSeconds(10)), "no exit after SIGTERM");
            Assert.Equal(0, firewall.ExitCode);
            Assert.Equal("", File.ReadAllText(stderr)); // nothing dropped
        }
        finally
        {
            if (!firewall.HasExited)
                firewall.Kill();
        }
    }

    /// <summary>Starts <c>flows firewall --inline b0 b1</c> in the lab's box, output to files, and waits for its first table.</summary>
    private (Process Firewall, string Stdout, string Stderr) StartInline(InlineLab lab, string rules)
    {
        string stdout = Path.Combine(_dir, "stdout"), stderr = Path.Combine(_dir, "stderr");
        // ip netns exec and sh both exec: the process started is tributary itself, which the signal reaches.
        var psi = new ProcessStartInfo("ip", ["netns", "exec", lab.Box.Name, "sh", "-c", "exec \"$0\" \"$@\" >\"$OUT\" 2>\"$ERR\"",
            TributaryCli.Path, "flows", "firewall", "--rules", rules, "--inline", "b0", "b1"]);
        psi.UseShellExecute = false;
        psi.Environment["OUT"] = stdout;
        psi.Environment["ERR"] = stderr;
        Process firewall = Process.Start(psi)!;
        try
        {
            // The first table (after 1 s of wall clock) says the middlebox is forwarding.
            var ready = Stopwatch.StartNew();
            while (!(File.Exists(stdout) && File.ReadAllText(stdout).Contains("Firewall rule table", StringComparison.Ordinal)))
            {
                Assert.False(firewall.HasExited, File.Exists(stderr) ? File.ReadAllText(stderr) : "exited");
                Assert.True(ready.Elapsed < TimeSpan.FromSeconds(20), "no table from the firewall");
                Thread.Sleep(50);
            }
        }
        catch
        {
            firewall.Kill();
            firewall.Dispose();
            throw;
        }
        return (firewall, stdout, stderr);
    }

    [Theory]
    [InlineData("CAPTURE", "tributary: Option '--rules' is required.")]
    [InlineData("--rules RULES", "tributary: give either a CAPTURE file or --inline IF_A IF_B")]
    [InlineData("--rules RULES CAPTURE --inline b0 b1", "tributary: give either a CAPTURE file or --inline IF_A IF_B")]
    [InlineData("--rules RULES --inline b0 b1 --write OUT", "tributary: --write needs a CAPTURE file (inline, forwarded frames go out of the other interface)")]
    [InlineData("--rules RULES --inline b0", "tributary: Required argument missing for option: '--inline'.")]
    [InlineData("--rules RULES CAPTURE --interval -1", "tributary: --interval must be between 0 and 86400 seconds")]
    [InlineData("--rules RULES CAPTURE --interval soon", "tributary: --interval: 'soon' is not a number of seconds (--interval must be between 0 and 86400 seconds)")]
    public void A_bad_command_line_exits_2_with_one_line(string arguments, string message)
    {
        string rules = Rules("DROP 0.0.0.0 0.0.0.0\n");
        string capture = SharedPaths.RequireShared("reference", "mos", "pcaps", "01_handshake_close.pcap");
        string[] args = arguments.Split(' ').Select(a => a switch { "RULES" => rules, "CAPTURE" => capture, "OUT" => Path.Combine(_dir, "o.pcap"), _ => a }).ToArray();
        ProcessResult r = TributaryCli.Run(["flows", "firewall", .. args], null);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(message + "\nTry 'tributary --help' for more information.\n", r.StandardError);
        Assert.Equal("", r.StandardOutput);
    }

    [Fact]
    public void A_bad_or_missing_rules_file_is_a_configuration_error()
    {
        string capture = SharedPaths.RequireShared("reference", "mos", "pcaps", "01_handshake_close.pcap");
        string rules = Rules("# fine\nACCEPT 10.0.0.1 10.0.0.2\nDROP 10.0.0.300 10.0.0.2 dport:80\n");
        ProcessResult r = TributaryCli.Run("flows", "firewall", "--rules", rules, capture);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"tributary: {rules}:3: bad address \"10.0.0.300\"\n", r.StandardError);
        Assert.Equal("", r.StandardOutput);

        string missing = Path.Combine(_dir, "missing.conf");
        r = TributaryCli.Run("flows", "firewall", "--rules", missing, capture);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"tributary: {missing}: No such file or directory\n", r.StandardError);
        r = TributaryCli.Run("flows", "firewall", "--rules", _dir, capture);
        Assert.Equal($"tributary: {_dir}: Is a directory\n", r.StandardError);
    }

    [Fact]
    public void An_unreadable_capture_or_output_is_named_with_the_reason()
    {
        string rules = Rules("DROP 0.0.0.0 0.0.0.0\n");
        string missing = Path.Combine(_dir, "missing.pcap");
        ProcessResult r = TributaryCli.Run("flows", "firewall", "--rules", rules, missing);
        Assert.Equal((1, $"tributary: {missing}: No such file or directory\n"), (r.ExitCode, r.StandardError));
        string capture = SharedPaths.RequireShared("reference", "mos", "pcaps", "01_handshake_close.pcap");
        string badOutput = Path.Combine(_dir, "no-such-dir", "o.pcap");
        r = TributaryCli.Run("flows", "firewall", "--rules", rules, capture, "--write", badOutput);
        Assert.Equal((1, $"tributary: {badOutput}: No such file or directory\n"), (r.ExitCode, r.StandardError));
    }
}
