using System.Text.Json;

namespace Tributary.Cli.Tests;

/// <summary><c>tributary capture stats</c> as a whole process (DESIGN.md "Contracts"): JSON keys, text form, filters, errors, exit codes, live mode.</summary>
public class CaptureStatsCommandTests
{
    private static string Corpus(string name) => SharedPaths.RequireShared("corpus", name);

    [Fact]
    public void Json_has_exactly_the_contract_keys_with_link_types_by_name()
    {
        ProcessResult r = TributaryCli.Run("capture", "stats", "--json", Corpus("pub__ppp__pcapng_example_snap128.pcapng"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.StandardError);
        Assert.Equal(
            """{"packets":159,"bytes":57465,"matched":159,"ipv4":155,"ipv6":4,"tcp":159,"udp":0,"fragments":0,"malformed":0,"link_types":{"EN10MB":59,"LINUX_SLL":100}}""" + "\n",
            r.StandardOutput);
        using JsonDocument doc = JsonDocument.Parse(r.StandardOutput);
        Assert.Equal(["packets", "bytes", "matched", "ipv4", "ipv6", "tcp", "udp", "fragments", "malformed", "link_types"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Filters_are_compiled_per_link_type_and_fragments_malformed_are_counted()
    {
        ProcessResult r = TributaryCli.Run("capture", "stats", "--json", "--filter", "udp", Corpus("pub__ppp__many_interfaces.pcapng"));
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.StandardOutput);
        Assert.Equal(32, doc.RootElement.GetProperty("matched").GetInt64());       // both the Ethernet and the NULL interfaces
        Assert.Equal(2, doc.RootElement.GetProperty("link_types").GetProperty("NULL").GetInt64());

        r = TributaryCli.Run("capture", "stats", "--json", Corpus("pub__ppp__frag_http_req.pcap"));
        Assert.Equal(11, JsonDocument.Parse(r.StandardOutput).RootElement.GetProperty("fragments").GetInt64());
        r = TributaryCli.Run("capture", "stats", "--json", Corpus("pub__tcpreplay__test.pcap"));
        Assert.Equal(1, JsonDocument.Parse(r.StandardOutput).RootElement.GetProperty("malformed").GetInt64());
    }

    [Fact]
    public void Text_form_and_count()
    {
        ProcessResult r = TributaryCli.Run("capture", "stats", "--count", "10", "-f", "tcp", Corpus("gen__misc_v4.pcap"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("packets:    10\n", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("matched:    ", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(filter: tcp)", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("link types: EN10MB=10\n", r.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Standard_input_is_read_with_a_dash()
    {
        ProcessResult r = ProcessRunner.Run("sh", "-c", $"'{TributaryCli.Path}' capture stats --json - < '{Corpus("gen__http_v6_nsec.pcap")}'");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("""{"packets":8389,""", r.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--filter", "tcp port")]
    [InlineData("--count", "0")]
    [InlineData("--bogus")]
    public void Bad_options_exit_2(params string[] options)
    {
        ProcessResult r = TributaryCli.Run(["capture", "stats", .. options, Corpus("gen__misc_v4.pcap")], null);
        Assert.Equal(2, r.ExitCode);
        Assert.NotEqual("", r.StandardError);
        if (options[0] == "--filter")
            Assert.Contains("syntax error", r.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pub__ppp__many_interfaces.pcapng")]
    [InlineData("gen__http_v6_nsec.pcap")]
    [InlineData("pub__tcpreplay__test.pcap")]
    public void Mapping_the_file_counts_the_same_as_reading_it(string name)
    {
        ProcessResult read = TributaryCli.Run("capture", "stats", "--json", Corpus(name));
        ProcessResult mapped = TributaryCli.Run("capture", "stats", "--json", "--mmap", Corpus(name));
        ProcessResult readAsBefore = TributaryCli.Run("capture", "stats", "--json", "--no-mmap", Corpus(name));
        Assert.Equal(0, read.ExitCode);
        Assert.StartsWith("""{"packets":""", read.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(read.StandardOutput, mapped.StandardOutput);
        Assert.Equal(read.StandardOutput, readAsBefore.StandardOutput);
        Assert.Equal(0, mapped.ExitCode);
        Assert.Equal(0, readAsBefore.ExitCode);
    }

    [Fact]
    public void Mmap_and_no_mmap_together_exit_2()
    {
        ProcessResult r = TributaryCli.Run("capture", "stats", "--mmap", "--no-mmap", Corpus("gen__misc_v4.pcap"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--mmap and --no-mmap contradict each other", r.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Neither_or_both_inputs_exit_2()
    {
        Assert.Equal(2, TributaryCli.Run("capture", "stats").ExitCode);
        Assert.Equal(2, TributaryCli.Run("capture", "stats", "--interface", "lo", Corpus("gen__misc_v4.pcap")).ExitCode);
    }

    [Fact]
    public void A_truncated_file_prints_what_came_before_and_the_offset_then_fails()
    {
        string dir = Directory.CreateTempSubdirectory("trib-cli-cap").FullName;
        try
        {
            byte[] file = File.ReadAllBytes(Corpus("pub__ppp__one_tcp_stream.pcap"));
            string cut = Path.Combine(dir, "cut.pcap");
            File.WriteAllBytes(cut, file[..(file.Length - 20)]);
            ProcessResult r = TributaryCli.Run("capture", "stats", "--json", cut);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(35, JsonDocument.Parse(r.StandardOutput).RootElement.GetProperty("packets").GetInt64());
            Assert.Matches($@"^tributary: {System.Text.RegularExpressions.Regex.Escape(cut)}: truncated packet record: \d+ captured bytes announced, \d+ present at byte offset \d+\n$", r.StandardError);
            ProcessResult missing = TributaryCli.Run("capture", "stats", Path.Combine(dir, "nope.pcap"));
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("nope.pcap", missing.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [KernelFact("python3")]
    public void A_live_capture_whose_interface_goes_down_prints_the_counts_then_the_error()
    {
        using var ns = TestNetworkNamespace.Create("clid");
        var stats = Task.Run(() => ProcessRunner.Run("ip", ["netns", "exec", ns.Name, TributaryCli.Path, "capture", "stats", "--json",
            "--interface", "lo", "--filter", "udp port 9999"], timeout: TimeSpan.FromSeconds(60)));
        // Once the capture's packet socket is listed in the namespace (and a moment later bound), 20 datagrams; then
        // the interface goes down under it.
        TaskTimeouts.WaitUntil(() => ns.Exec("cat", "/proc/net/packet").StandardOutput.Trim().Split('\n').Length > 1, what: "the capture's packet socket");
        Thread.Sleep(500);
        ns.Exec("python3", "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(20): s.sendto(b'x', ('127.0.0.1', 9999))\n")
            .EnsureSuccess("datagrams");
        Thread.Sleep(1500); // the ring hands its block over after its timeout
        ns.Ip("link", "set", "lo", "down");
        Assert.True(stats.Wait(TimeSpan.FromSeconds(30)), "still running after its interface went down");
        ProcessResult r = stats.Result;
        Assert.Equal(1, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.StandardOutput);
        Assert.Equal(20, doc.RootElement.GetProperty("matched").GetInt64()); // each once: lo's sent copies are not captured
        string[] errors = r.StandardError.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0$", errors[0]);
        Assert.Equal(["tributary: lo: capture on lo: Network is down (ENETDOWN)"], errors[1..]);
    }

    [KernelFact("python3")]
    public void Live_capture_stops_after_count_packets()
    {
        using var a = TestNetworkNamespace.Create("clica");
        using var b = TestNetworkNamespace.Create("clicb");
        ProcessRunner.Run("ip", "link", "add", "va", "netns", a.Name, "type", "veth", "peer", "name", "vb", "netns", b.Name).EnsureSuccess("veth");
        a.Ip("addr", "add", "10.212.0.1/24", "dev", "va");
        b.Ip("addr", "add", "10.212.0.2/24", "dev", "vb");
        a.Ip("link", "set", "va", "up");
        b.Ip("link", "set", "vb", "up");
        var stats = Task.Run(() => ProcessRunner.Run("ip", ["netns", "exec", b.Name, TributaryCli.Path, "capture", "stats", "--json",
            "--interface", "vb", "--count", "100", "--filter", "udp port 9999"], timeout: TimeSpan.FromSeconds(60)));
        // keep sending until the capture has its 100 packets
        while (!stats.IsCompleted)
        {
            a.Exec("python3", "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
                "for i in range(50): s.sendto(b'x', ('10.212.0.2', 9999))\n");
            stats.Wait(TimeSpan.FromMilliseconds(300));
        }
        ProcessResult r = stats.Result;
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.StandardOutput);
        Assert.Equal(100, doc.RootElement.GetProperty("packets").GetInt64());
        Assert.Equal(doc.RootElement.GetProperty("udp").GetInt64(), doc.RootElement.GetProperty("matched").GetInt64());
        Assert.InRange(doc.RootElement.GetProperty("matched").GetInt64(), 50, 100);
    }
}
