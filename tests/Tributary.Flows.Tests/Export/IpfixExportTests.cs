using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Export;

/// <summary>
/// <c>flows summary --ipfix</c>: the records a collector receives, decoded by tshark's IPFIX dissector, against what
/// tshark itself reads from the capture (per TCP stream and direction: packets, IP octets, first and last packet
/// time, how the flow ended).
/// </summary>
public sealed class IpfixExportTests
{
    private static readonly string[] s_captures = ["gen__http_v4.pcap", "gen__http_v6_nsec.pcap", "pub__cs__http_ip4and6.pcapng"];

    [KernelFact("tshark", "tcpdump")]
    public void A_collector_on_UDP_receives_one_record_per_direction_as_tshark_counts_it()
    {
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fix");
        string dump = Path.Combine(Path.GetTempPath(), $"ipfix-{Guid.NewGuid():N}.pcap");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, "tcpdump", "-i", "lo", "-U", "-w", dump, "udp", "port", "4739"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process tcpdump = Process.Start(psi)!;
        try
        {
            Assert.Contains("listening on lo", tcpdump.StandardError.ReadLine() ?? "", StringComparison.Ordinal);
            var expected = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string name in s_captures)
            {
                string capture = Path.Combine(SharedPaths.Corpus, name);
                ns.Exec(Launcher.Path, "flows", "summary", capture, "--ipfix", "udp:127.0.0.1:4739").EnsureSuccess("flows summary --ipfix");
                expected.UnionWith(IpfixTshark.Expected(capture));
            }
            Thread.Sleep(300);
            ProcessRunner.Run("kill", "-TERM", tcpdump.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(tcpdump.WaitForExit(10_000));
            SortedSet<string> decoded = IpfixTshark.Decoded(dump, out List<(long Sequence, int Flows)> messages);
            Assert.True(expected.Count >= 60, $"{expected.Count} directions in the captures");
            Assert.Equal(expected, decoded);
            Assert.True(messages.Count > s_captures.Length, "every export fit one datagram: the 1400-byte limit is not exercised");
            Assert.Equal(0, messages[0].Sequence); // each export starts its count at 0; within one, it counts the records before
        }
        finally
        {
            if (!tcpdump.HasExited)
                tcpdump.Kill();
            File.Delete(dump);
        }
    }

    [Fact]
    public void A_file_holds_the_messages_back_to_back_with_the_templates_once()
    {
        string capture = Path.Combine(SharedPaths.Corpus, "pub__cs__http_ip4and6.pcapng");
        string file = Path.Combine(Path.GetTempPath(), $"ipfix-{Guid.NewGuid():N}.ipfix");
        string wrapped = file + ".pcap";
        try
        {
            ProcessRunner.Run(Launcher.Path, ["flows", "summary", capture, "--ipfix", file]).EnsureSuccess("flows summary --ipfix FILE");
            List<byte[]> messages = IpfixTshark.Messages(file);
            Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(messages[0].AsSpan(16))); // the template set first
            Assert.All(messages.Skip(1), m => Assert.NotEqual(2, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(16))));
            IpfixTshark.WrapAsDatagrams(messages, wrapped);
            SortedSet<string> expected = IpfixTshark.Expected(capture);
            Assert.Equal(4, expected.Count); // an IPv4 and an IPv6 connection, both ways
            Assert.Equal(expected, IpfixTshark.Decoded(wrapped, out _));
        }
        finally
        {
            File.Delete(file);
            File.Delete(wrapped);
        }
    }

    [Theory]
    [InlineData("udp:127.0.0.1", "is not udp:ADDRESS:PORT")]
    [InlineData("udp:localhost:4739", "is not udp:ADDRESS:PORT")]
    [InlineData("udp:127.0.0.1:0", "is not udp:ADDRESS:PORT")]
    [InlineData("-", "give a file or udp:ADDRESS:PORT")]
    public void A_bad_destination_is_refused_before_any_output(string destination, string message)
    {
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "summary", Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap"), "--ipfix", destination]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        Assert.Contains(message, r.StandardError, StringComparison.Ordinal);
    }
}
