using System.Text.Json;

namespace Tributary.Cli.Tests;

/// <summary><c>tributary links</c> as a whole process: output formats, exit codes, signals (DESIGN.md "Contracts").</summary>
public class LinksCommandTests
{
    private static TestNetworkNamespace Lab()
    {
        var ns = TestNetworkNamespace.Create("cli");
        ns.Sysctl("net.ipv6.conf.all.addr_gen_mode", "1");
        ns.Sysctl("net.ipv6.conf.default.addr_gen_mode", "1");
        ns.Ip("link", "add", "br0", "type", "bridge");
        ns.Ip("link", "set", "br0", "up");
        ns.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
        ns.Ip("addr", "add", "fd00::1/64", "dev", "br0", "nodad");
        ns.Ip("addr", "add", "fe80::1/64", "dev", "br0", "nodad");
        ns.Ip("link", "add", "br1", "type", "bridge"); // down: not tracked
        return ns;
    }

    [KernelFact]
    public void Once_prints_the_tracked_interfaces_and_addresses_as_text()
    {
        using TestNetworkNamespace ns = Lab();
        ProcessResult r = TributaryCli.Run("links", "--once", "--netns", ns.Name);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "new_interface index=2 name=br0 flags=UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP\n" +
            "new_address index=2 name=br0 family=inet address=10.0.0.1\n" +
            "new_address index=2 name=br0 family=inet6 address=fd00::1\n" +
            "new_address index=2 name=br0 family=inet6 address=fe80::1\n", r.StandardOutput);
        Assert.Equal("", r.StandardError);

        r = TributaryCli.Run("links", "--once", "--netns", ns.Name, "--skip-link-local");
        Assert.DoesNotContain("fe80::1", r.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(3, r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [KernelFact]
    public void Once_json_has_the_contract_keys_and_loopback_on_request()
    {
        using TestNetworkNamespace ns = Lab();
        ProcessResult r = TributaryCli.Run("links", "--once", "--json", "--loopback", "--netns", ns.Name);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            """{"event":"new_interface","index":1,"name":"lo","flags":65609}""", lines[0]);
        Assert.Equal(
            """{"event":"new_address","index":1,"name":"lo","flags":65609,"family":"inet","address":"127.0.0.1","address_flags":128}""", lines[1]);
        Assert.Equal(
            """{"event":"new_address","index":1,"name":"lo","flags":65609,"family":"inet6","address":"::1","address_flags":128}""", lines[2]);
        Assert.Equal(
            """{"event":"new_interface","index":2,"name":"br0","flags":69699}""", lines[3]);
        Assert.Equal(
            """{"event":"new_address","index":2,"name":"br0","flags":69699,"family":"inet","address":"10.0.0.1","address_flags":128}""", lines[4]);
        Assert.Equal(7, lines.Length);
    }

    [KernelFact]
    public void The_address_selection_options_filter_and_json_carries_the_address_flags()
    {
        using TestNetworkNamespace ns = Lab();
        ns.Ip("addr", "add", "2001:db8::1/64", "dev", "br0", "nodad", "preferred_lft", "0");
        ns.Ip("addr", "add", "169.254.1.1/16", "dev", "br0");
        ProcessResult r = TributaryCli.Run("links", "--once", "--json", "--netns", ns.Name);
        Assert.Equal(0, r.ExitCode);
        // IFA_F_DEPRECATED (0x20) | IFA_F_PERMANENT (0x80) | IFA_F_NODAD (0x02)
        Assert.Contains("""{"event":"new_address","index":2,"name":"br0","flags":69699,"family":"inet6","address":"2001:db8::1","address_flags":162}""",
            r.StandardOutput.Split('\n'));

        r = TributaryCli.Run("links", "--once", "--netns", ns.Name, "--skip-ula", "--skip-deprecated", "--skip-link-local",
            "--skip-temporary", "--skip-tentative");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "new_interface index=2 name=br0 flags=UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP\n" +
            "new_address index=2 name=br0 family=inet address=10.0.0.1\n", r.StandardOutput);
    }

    [KernelTheory]
    [InlineData(TributaryCli.SIGTERM)]
    [InlineData(TributaryCli.SIGINT)]
    public void Live_events_stream_and_a_signal_ends_with_exit_0(int signal)
    {
        using TestNetworkNamespace ns = Lab();
        using var cmd = TributaryCli.Start("links", "--netns", ns.Name, "--existing", "--skip-link-local");
        Assert.Equal("new_address index=2 name=br0 family=inet address=10.0.0.1", cmd.ReadLine());
        Assert.Equal("new_address index=2 name=br0 family=inet6 address=fd00::1", cmd.ReadLine());
        ns.Ip("addr", "add", "10.0.1.1/24", "dev", "br0");
        Assert.Equal("new_address index=2 name=br0 family=inet address=10.0.1.1", cmd.ReadLine());
        ns.Ip("link", "set", "br1", "up");
        Assert.Equal("new_interface index=3 name=br1 flags=UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP", cmd.ReadLine());
        ns.Ip("addr", "del", "10.0.1.1/24", "dev", "br0");
        Assert.Equal("delete_address index=2 name=br0 family=inet address=10.0.1.1", cmd.ReadLine());
        ns.Ip("link", "set", "br0", "mtu", "1280");
        Assert.Equal("update_interface index=2 name=br0 flags=UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP", cmd.ReadLine());
        ns.Ip("link", "del", "br1");
        Assert.Equal("delete_interface index=3 name=br1 flags=UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP", cmd.ReadLine());
        Assert.Equal(0, cmd.Signal(signal));
        Assert.Equal("", cmd.StandardError);
    }

    [Theory]
    [InlineData("links", "--bogus")]
    [InlineData("links", "--receive-buffer", "0")]
    [InlineData("links", "--receive-buffer", "lots")]
    [InlineData("links", "extra-argument")]
    [InlineData("no-such-command")]
    public void Bad_options_exit_2_with_a_message(params string[] args)
    {
        ProcessResult r = TributaryCli.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("tributary: ", r.StandardError, StringComparison.Ordinal);
        Assert.Equal("", r.StandardOutput);
    }

    [Fact]
    public void A_namespace_that_does_not_exist_is_a_clear_failure()
    {
        ProcessResult r = TributaryCli.Run("links", "--once", "--netns", "trib-missing-netns");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/run/netns/trib-missing-netns", r.StandardError, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_tiny_receive_buffer_under_churn_still_ends_at_the_kernels_state()
    {
        using TestNetworkNamespace ns = Lab();
        for (int b = 0; b < 16; b++)
            ns.Ip("link", "add", $"c{b}", "type", "bridge");
        using var cmd = TributaryCli.Start("links", "--netns", ns.Name, "--json", "--receive-buffer", "4096", "--verbose");
        // The monitor reports only changes after its start: the churn must not begin before it listens (on a loaded
        // machine its start-up can outlast the --once run below, and bridges it found up would never be "new").
        WaitForRouteListener(ns);
        // Seed from --once in the same quiet state.
        var model = new Dictionary<string, HashSet<string>>();
        Apply(model, TributaryCli.Run("links", "--once", "--json", "--netns", ns.Name).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var batch = new List<string>();
        for (int b = 0; b < 16; b++)
            batch.Add($"link set c{b} up");
        for (int i = 0; i < 6000; i++)
        {
            int b = i % 16;
            batch.Add($"addr add 10.{b}.{i / 250}.{i % 250 + 1}/32 dev c{b}");
            if (i >= 160)
                batch.Add($"addr del 10.{(i - 160) % 16}.{(i - 160) / 250}.{(i - 160) % 250 + 1}/32 dev c{(i - 160) % 16}");
        }
        ns.IpBatch(batch);
        Apply(model, cmd.ReadUntilQuiet(TimeSpan.FromSeconds(3)));
        Assert.Equal(0, cmd.Signal(TributaryCli.SIGTERM));
        Assert.Contains("re-reading links and addresses", cmd.StandardError, StringComparison.Ordinal);

        var kernel = new Dictionary<string, HashSet<string>>();
        using JsonDocument doc = JsonDocument.Parse(ns.Ip("-j", "addr", "show"));
        foreach (JsonElement link in doc.RootElement.EnumerateArray())
        {
            string name = link.GetProperty("ifname").GetString()!;
            if (name == "lo" || !link.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP"))
                continue;
            kernel[name] = [.. link.GetProperty("addr_info").EnumerateArray().Select(a => a.GetProperty("local").GetString()!)];
        }
        Assert.Equal(kernel.Keys.Order(), model.Keys.Order());
        foreach (var (name, addrs) in kernel)
            Assert.Equal(addrs.Order(), model[name].Order());
    }

    /// <summary>
    /// Waits until a process listens to rtnetlink multicast groups in <paramref name="ns"/> (a NETLINK_ROUTE socket with
    /// groups in its /proc/net/netlink), then a little longer for the monitor's initial dump.
    /// </summary>
    private static void WaitForRouteListener(TestNetworkNamespace ns)
    {
        TaskTimeouts.WaitUntil(() => ns.Exec("cat", "/proc/net/netlink").StandardOutput.Split('\n').Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(c => c.Length > 3 && c[1] == "0" && c[3].Trim('0').Length > 0), what: "the links monitor to subscribe");
        Thread.Sleep(500);
    }

    /// <summary>Replays JSON event lines over a model, failing on any contradictory line.</summary>
    private static void Apply(Dictionary<string, HashSet<string>> model, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            using JsonDocument d = JsonDocument.Parse(line);
            JsonElement e = d.RootElement;
            string evt = e.GetProperty("event").GetString()!;
            string name = e.GetProperty("name").GetString()!;
            switch (evt)
            {
                case "new_interface":
                    Assert.True(model.TryAdd(name, []), line);
                    break;
                case "delete_interface":
                    Assert.True(model.Remove(name), line);
                    break;
                case "update_interface":
                    Assert.True(model.ContainsKey(name), line);
                    break;
                case "new_address":
                    Assert.True(model[name].Add(e.GetProperty("address").GetString()!), line);
                    break;
                case "delete_address":
                    Assert.True(model[name].Remove(e.GetProperty("address").GetString()!), line);
                    break;
                default:
                    Assert.Fail(line);
                    break;
            }
        }
    }
}
