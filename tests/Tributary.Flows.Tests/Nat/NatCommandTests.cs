using System.Diagnostics;
using System.Globalization;
using Tributary.Flows.Tests.Inline;
using Tributary.Flows.Tests.Support;
using Tributary.Testing;

namespace Tributary.Flows.Tests.Nat;

/// <summary>
/// <c>tributary flows nat</c>: between real kernel TCP endpoints in the <see cref="InlineLab"/> (the server must see the
/// NAT address, never the client's), and its command line.
/// </summary>
public sealed class NatCommandTests
{
    private const string TryHelp = "Try 'tributary --help' for more information.\n";

    [KernelTheory("python3", "ethtool")]
    [InlineData(false)]
    [InlineData(true)] // mOS's engine: the first-SYN rekey is its own ordering
    public void Connections_through_the_box_reach_the_server_from_the_NAT_address_and_SIGTERM_prints_the_counters(bool mosCompat)
    {
        using var lab = new InlineLab();
        string reply = "", peer = "";
        (string stdout, string stderr, int exitCode) = RunNat(lab, mosCompat ? ["--mos-compat"] : [], () =>
        {
            reply = lab.Talk(8080, "hello");
            peer = lab.Talk(8082, "who are you");
        });
        Assert.Equal("got:hello", reply);
        // The second connection took the pool's second port (first free first; the first flow's port went to the back).
        Assert.Equal("peer:10.99.0.100:1026", peer);
        Assert.Equal("", stderr);
        Assert.Equal(0, exitCode);
        Dictionary<string, string> counters = Counters(stdout);
        Assert.Equal("2", counters["translated_flows"]);
        Assert.Equal("0", counters["dropped_packets"]);
        Assert.Equal("0", counters["pool_exhausted"]);
        Assert.True(counters.ContainsKey("dropped_orphans"), stdout);
        // The second connection's last ACK may still have been in the box's capture ring when SIGTERM came.
        Assert.Contains(counters["ports_in_use"], (string[])["0", "1"]);
        Assert.True(long.Parse(counters["forwarded_a_to_b"], CultureInfo.InvariantCulture) >= 8, stdout);
        Assert.True(long.Parse(counters["forwarded_b_to_a"], CultureInfo.InvariantCulture) >= 8, stdout);
        Assert.Equal(("0", "0", "0"), (counters["segmented_frames"], counters["oversized_frames"], counters["transmit_queue_drops"]));
    }

    [KernelFact("python3", "ethtool")]
    public void A_bulk_transfer_between_endpoints_that_keep_TSO_is_translated_and_leaves_as_segments()
    {
        using var lab = new InlineLab(endpointSegmentationOffload: true);
        string reply = "";
        (string stdout, string stderr, int exitCode) = RunNat(lab, [], () => reply = lab.TalkBulk(8080, 1_000_000));
        Assert.Equal("ok 1000004", reply);
        Assert.Equal(("", 0), (stderr, exitCode));
        Dictionary<string, string> counters = Counters(stdout);
        Assert.Equal(("1", "0", "0"), (counters["translated_flows"], counters["dropped_packets"], counters["oversized_frames"]));
        Assert.True(long.Parse(counters["segmented_frames"], CultureInfo.InvariantCulture) > 0, stdout);
    }

    /// <summary>Runs <c>flows nat --address 10.99.0.100 --inline b0 b1</c> in the lab's box around <paramref name="traffic"/>, then SIGTERM.</summary>
    private static (string Stdout, string Stderr, int ExitCode) RunNat(InlineLab lab, string[] options, Action traffic)
    {
        lab.RouteFromServerToClient("10.99.0.100");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", lab.Box.Name, TributaryCli.Path, "flows", "nat", "--address", "10.99.0.100", "--inline", "b0", "b1", .. options])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process nat = Process.Start(psi)!;
        try
        {
            PacketSockets.WaitFor(nat, 4); // two captures, two senders
            traffic();
            ProcessRunner.Run("kill", "-TERM", nat.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(nat.WaitForExit(15_000), "flows nat did not exit after SIGTERM");
        }
        finally
        {
            if (!nat.HasExited)
                nat.Kill();
        }
        return (nat.StandardOutput.ReadToEnd(), nat.StandardError.ReadToEnd(), nat.ExitCode);
    }

    private static Dictionary<string, string> Counters(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(kv => kv[0], kv => kv[1]);

    [Theory]
    [InlineData("flows nat --inline b0 b1", "Option '--address' is required.")]
    [InlineData("flows nat --address 10.99.0.100", "Option '--inline' is required.")]
    [InlineData("flows nat --address 10.1 --inline b0 b1", "--address: '10.1' is not an IPv4 address (dotted quad, e.g. 192.0.2.1)")]
    [InlineData("flows nat --address 2001:db8::1 --inline b0 b1", "--address: '2001:db8::1' is not an IPv4 address (dotted quad, e.g. 192.0.2.1)")]
    [InlineData("flows nat --address nat.example --inline b0 b1", "--address: 'nat.example' is not an IPv4 address (dotted quad, e.g. 192.0.2.1)")]
    [InlineData("flows nat --address 0.0.0.0 --inline b0 b1", "--address: 0.0.0.0 cannot be a source address")]
    [InlineData("flows nat --address 239.1.2.3 --inline b0 b1", "--address: 239.1.2.3 cannot be a source address")]
    [InlineData("flows nat --address 10.99.0.100 --inline b0", "Required argument missing for option: '--inline'.")]
    [InlineData("flows nat --address 10.99.0.100 --inline b0 b1 b2", "Unrecognized command or argument 'b2'.")]
    [InlineData("flows nat --address 10.99.0.100 --inline b0 b0", "--inline needs two different interfaces (got b0 twice)")]
    public void A_bad_command_line_names_the_problem_and_exits_2(string command, string message)
    {
        ProcessResult r = TributaryCli.Run(command.Split(' '), null);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"tributary: {message}\n{TryHelp}", r.StandardError);
        Assert.Equal("", r.StandardOutput);
    }

    [Fact]
    public void An_interface_that_cannot_be_opened_is_one_line_and_exit_1()
    {
        ProcessResult r = TributaryCli.Run(["flows", "nat", "--address", "10.99.0.100", "--inline", "lo", "no-such-if0"], null);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"^tributary: [^\n]*no-such-if0[^\n]*\n$", r.StandardError);
        Assert.Equal("", r.StandardOutput);
    }
}
