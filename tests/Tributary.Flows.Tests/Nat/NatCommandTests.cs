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
        lab.RouteFromServerToClient("10.99.0.100");
        string[] compat = mosCompat ? ["--mos-compat"] : [];
        var psi = new ProcessStartInfo("ip", ["netns", "exec", lab.Box.Name, TributaryCli.Path, "flows", "nat", "--address", "10.99.0.100", "--inline", "b0", "b1", .. compat])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process nat = Process.Start(psi)!;
        string reply, peer;
        try
        {
            PacketSockets.WaitFor(nat, 4); // two captures, two senders
            reply = lab.Talk(8080, "hello");
            peer = lab.Talk(8082, "who are you");
            ProcessRunner.Run("kill", "-TERM", nat.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(nat.WaitForExit(15_000), "flows nat did not exit after SIGTERM");
        }
        finally
        {
            if (!nat.HasExited)
                nat.Kill();
        }
        string stdout = nat.StandardOutput.ReadToEnd(), stderr = nat.StandardError.ReadToEnd();
        Assert.Equal("got:hello", reply);
        // The second connection took the pool's second port (first free first; the first flow's port went to the back).
        Assert.Equal("peer:10.99.0.100:1026", peer);
        Assert.Equal("", stderr);
        Assert.Equal(0, nat.ExitCode);
        Dictionary<string, string> counters = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal("2", counters["translated_flows"]);
        Assert.Equal("0", counters["dropped_packets"]);
        Assert.Equal("0", counters["pool_exhausted"]);
        Assert.True(counters.ContainsKey("dropped_orphans"), stdout);
        // The second connection's last ACK may still have been in the box's capture ring when SIGTERM came.
        Assert.Contains(counters["ports_in_use"], (string[])["0", "1"]);
        Assert.True(long.Parse(counters["forwarded_a_to_b"], CultureInfo.InvariantCulture) >= 8, stdout);
        Assert.True(long.Parse(counters["forwarded_b_to_a"], CultureInfo.InvariantCulture) >= 8, stdout);
    }

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
