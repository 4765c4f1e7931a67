using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Tests.Support;
using static Tributary.Flows.Tests.Support.Frames;

namespace Tributary.Flows.Tests.Export;

/// <summary>
/// <c>flows export</c>, the engine as a flow meter: every flow exported at its end, with tshark as the reader of both
/// the capture and the records; idle and active timeouts and the forced end on a capture made for them.
/// </summary>
public sealed class FlowExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("trib-export").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("gen__http_v4.pcap")]
    [InlineData("gen__http_v6_nsec.pcap")]
    [InlineData("pub__cs__http_ip4and6.pcapng")]
    public void Every_flow_is_exported_at_its_close_as_tshark_counts_it(string name)
    {
        // tshark counts a connection's packets after its close (a burst of ACKs and RSTs after a RST) in the same
        // stream; the engine ended the flow there, and those packets are orphans: not exported, counted by the engine
        // (flows stats' orphans). With --midstream they are metered as a new flow, and every 4-tuple adds up.
        string capture = Path.Combine(SharedPaths.Corpus, name);
        string file = Path.Combine(_dir, "out.ipfix");
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "export", capture, "--ipfix", file]).EnsureSuccess("flows export");
        SortedSet<string> expected = IpfixTshark.Expected(capture), decoded = IpfixTshark.DecodedFile(file);
        Assert.Equal(expected.Count, IpfixTshark.DecodedFileList(file).Count);
        Assert.StartsWith($"flows {expected.Count / 2}\nrecords {expected.Count}\n", r.StandardOutput, StringComparison.Ordinal);
        string[] missing = [.. expected.Except(decoded)], extra = [.. decoded.Except(expected)];
        long orphans = long.Parse(ProcessRunner.Run(Launcher.Path, ["flows", "stats", capture]).EnsureSuccess("flows stats").StandardOutput
            .Split('\n').Single(l => l.StartsWith("orphans ", StringComparison.Ordinal))[8..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(missing.Length, extra.Length);
        Assert.Equal(orphans, IpfixTshark.Sums(missing).Values.Sum(v => v.Packets) - IpfixTshark.Sums(extra).Values.Sum(v => v.Packets));
        Assert.Equal(IpfixTshark.Sums(missing).Keys.Order(), IpfixTshark.Sums(extra).Keys.Order()); // the same directions, fewer packets
        Assert.Equal(name == "gen__http_v4.pcap" ? 8 : 0, orphans); // 8 after one RST: the case above

        ProcessRunner.Run(Launcher.Path, ["flows", "export", capture, "--ipfix", file, "--midstream"]).EnsureSuccess("flows export --midstream");
        Assert.Equal(IpfixTshark.Sums(expected), IpfixTshark.Sums(IpfixTshark.DecodedFileList(file)));
    }

    [Fact]
    public void A_long_flow_is_exported_every_active_timeout_an_idle_one_at_its_timeout_an_open_one_at_the_end()
    {
        // A: handshake at 0 s, 3 bytes from the client every 5 s from 5 to 25 s, an ACK back at 25.1 s, 2 bytes at 32 s,
        // then silence. B: SYN at 60 s, SYN/ACK at 61 s, open at the end. --active-timeout 30: the tick at 30 s (the
        // grid starts 1 µs before the first frame) exports all of A so far (reason 2). --idle-timeout 20: A ends at
        // 52 s, found when B's SYN moves the clock, with the one packet since (reason 1). B: forced end (4).
        const long T0 = 1_700_000_000_000_000L;
        var list = new List<(double At, byte[] Frame)>
        {
            (0.0, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Syn, 1000, 0)),
            (0.1, Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Syn | Ack, 5000, 1001)),
            (0.2, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, 1001, 5001)),
        };
        for (int i = 0; i < 5; i++)
            list.Add((5.0 * (i + 1), Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Psh | Ack, (uint)(1001 + 3 * i), 5001, Text("abc"))));
        list.Add((25.1, Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Ack, 5001, 1016)));
        list.Add((32.0, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Psh | Ack, 1016, 5001, Text("de"))));
        list.Add((60.0, Tcp("10.0.0.3", 40001, "10.0.0.2", 80, Syn, 7000, 0)));
        list.Add((61.0, Tcp("10.0.0.2", 80, "10.0.0.3", 40001, Syn | Ack, 9000, 7001)));
        (double At, byte[] Frame)[] frames = [.. list];
        string pcap = Path.Combine(_dir, "timeouts.pcap");
        using (var writer = new PcapWriter(File.Create(pcap), LinkType.Ethernet))
        {
            foreach ((double at, byte[] frame) in frames)
                writer.Write(frame, frame.Length, (T0 + (long)Math.Round(at * 1_000_000)) * 1000, LinkType.Ethernet);
        }
        string file = Path.Combine(_dir, "out.ipfix");
        ProcessRunner.Run(Launcher.Path, ["flows", "export", pcap, "--ipfix", file, "--active-timeout", "30", "--idle-timeout", "20"]).EnsureSuccess("flows export");

        long Ms(double at) => T0 / 1000 + (long)Math.Round(at * 1000);
        // "src sport dst dport octets packets startMs endMs endReason direction"
        string[] expected =
        [
            $"10.0.0.1 40000 10.0.0.2 80 {40 + 40 + 5 * 43} 7 {Ms(0)} {Ms(25)} 2 1",
            $"10.0.0.2 80 10.0.0.1 40000 {40 + 40} 2 {Ms(0.1)} {Ms(25.1)} 2 2",
            $"10.0.0.1 40000 10.0.0.2 80 42 1 {Ms(32)} {Ms(32)} 1 1",
            $"10.0.0.3 40001 10.0.0.2 80 40 1 {Ms(60)} {Ms(60)} 4 1",
            $"10.0.0.2 80 10.0.0.3 40001 40 1 {Ms(61)} {Ms(61)} 4 2",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), IpfixTshark.DecodedFile(file));
    }

    [Theory]
    [InlineData("--active-timeout", "-1", "--active-timeout must be between 0 and 86400")]
    [InlineData("--idle-timeout", "0", "--idle-timeout must be between 1 and 86400")]
    [InlineData("--ipfix", "udp:nowhere", "is not udp:ADDRESS:PORT")]
    public void Bad_options_are_refused(string option, string value, string message)
    {
        string[] args = option == "--ipfix"
            ? ["flows", "export", Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap"), option, value]
            : ["flows", "export", Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap"), "--ipfix", Path.Combine(_dir, "x.ipfix"), option, value];
        ProcessResult r = ProcessRunner.Run(Launcher.Path, args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StandardError, StringComparison.Ordinal);
    }
}
