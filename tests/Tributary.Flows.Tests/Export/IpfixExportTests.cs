using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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

    [KernelFact("tshark")]
    public void A_collector_on_UDP_receives_one_record_per_direction_as_tshark_counts_it()
    {
        // The collector is a UDP socket bound in the namespace (a capture of lo missed datagrams now and then); what
        // it received goes to tshark's IPFIX dissector as a capture of those datagrams.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fix");
        using Socket collector = Tributary.Netlink.NetworkNamespace.Run(ns.Path, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
            s.Bind(new IPEndPoint(IPAddress.Loopback, 4739));
            return s;
        });
        string dump = Path.Combine(Path.GetTempPath(), $"ipfix-{Guid.NewGuid():N}.pcap");
        try
        {
            var expected = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string name in s_captures)
            {
                string capture = Path.Combine(SharedPaths.Corpus, name);
                ns.Exec(Launcher.Path, "flows", "summary", capture, "--ipfix", "udp:127.0.0.1:4739").EnsureSuccess("flows summary --ipfix");
                expected.UnionWith(IpfixTshark.Expected(capture));
            }
            var datagrams = new List<(byte[] Message, int SourcePort)>();
            byte[] buffer = new byte[65536];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            while (collector.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead))
            {
                int n = collector.ReceiveFrom(buffer, ref from);
                datagrams.Add((buffer[..n], ((IPEndPoint)from).Port)); // each export is a session of its own, from its own port
            }
            Assert.All(datagrams, d => Assert.True(d.Message.Length <= 1400, $"a {d.Message.Length}-byte datagram"));
            Assert.Equal(s_captures.Length, datagrams.Select(d => d.SourcePort).Distinct().Count());
            IpfixTshark.WrapAsDatagrams(datagrams, dump);
            SortedSet<string> decoded = IpfixTshark.Decoded(dump, out List<(long Sequence, int Flows)> messages);
            Assert.True(expected.Count >= 60, $"{expected.Count} directions in the captures");
            Assert.Equal(expected, decoded);
            Assert.True(messages.Count > s_captures.Length, "every export fit one datagram: the 1400-byte limit is not exercised");
            Assert.Equal(0, messages[0].Sequence); // each export starts its count at 0; within one, it counts the records before
        }
        finally
        {
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
