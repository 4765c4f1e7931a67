using System.Globalization;
using System.Text.RegularExpressions;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// A real MPTCP connection between two fresh namespaces over two paths (<see cref="MptcpLab"/>, the layout of
/// tools/mptcp/topology.sh): the client has a <c>subflow</c> endpoint on its second path (MP_JOIN) and the server a
/// <c>signal</c> endpoint (ADD_ADDR). <c>flows mptcp --interface any</c> and tcpdump watch the client namespace at the
/// same time; the live row, the file run and tshark on tcpdump's file must agree, and the client token must be the
/// one the kernel reports in MPTCP_INFO. Nothing leaves the namespaces: the server namespace routes nowhere else.
/// </summary>
public sealed partial class MptcpLiveTests
{
    private const int Port = 5301;

    [KernelFact("python3", "tcpdump", "tshark")]
    public void A_two_path_connection_is_one_row_with_its_join_and_the_servers_address()
    {
        using var lab = new MptcpLab("mfc", "mfs");
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "subflow");
        lab.Server.Ip("mptcp", "endpoint", "add", "10.11.2.2", "dev", "s2", "signal");

        string pcap = Path.Combine(Path.GetTempPath(), $"trib-mptcp-live-{Environment.ProcessId}.pcap");
        try
        {
            BackgroundProcess tcpdump = lab.Own(new BackgroundProcess("ip", "netns", "exec", lab.Client.Name, "tcpdump", "-i", "any", "-U", "-w", pcap, "tcp"));
            PacketSockets.WaitFor(tcpdump, 1);
            BackgroundProcess monitor = MptcpLabTraffic.Monitor(lab, "--interface", "any");
            MptcpLabTraffic.Server(lab, Port);
            BackgroundProcess client = MptcpLabTraffic.Client(lab, "10.11.1.2", Port, 2);
            MptcpLabTraffic.WaitForExit(client, "the MPTCP client");
            Assert.Equal(0, client.ExitCode);
            // MPTCP_INFO's token is the local one: the client's token (RFC 8684 §3.2: the token the server puts in its joins).
            string kernelToken = TokenRegex().Matches(client.Output).Select(m => m.Groups[1].Value).Last();
            Thread.Sleep(1000); // the closing handshake
            MptcpLabTraffic.Interrupt(monitor);
            MptcpLabTraffic.Interrupt(tcpdump);
            string output = monitor.Output;
            Assert.Equal(0, monitor.ExitCode);
            Assert.Matches(@"^tributary: any: kernel received \d+ packets, dropped 0\n$", monitor.Error);

            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(string.Join('\t', MptcpConnectionWriter.Columns), lines[0]);
            Dictionary<string, string> row = lines[0].Split('\t').Zip(Assert.Single(lines[1..]).Split('\t')).ToDictionary(p => p.First, p => p.Second);
            Assert.Equal("mptcp", row["kind"]);
            Assert.Equal("1", row["version"]);
            Assert.True(int.Parse(row["subflows"], CultureInfo.InvariantCulture) >= 2, output);
            Assert.Matches(@"(^|,)s\d+=10\.11\.2\.2(\+echo)?(,|$)", row["add_addr"]);
            Assert.Equal(kernelToken, row["client_token"]);
            Assert.True(long.Parse(row["bytes_c2s"], CultureInfo.InvariantCulture) >= 1024 * 20, output); // ~1 KiB per 50 ms for 2 s
            Assert.Equal("both", row["data_fin"]);
            Assert.Equal("-", row["fallback"]);

            // The same traffic from tcpdump's file: our file run equals tshark, and the live row has tshark's tokens.
            List<TsharkMptcp.Frame> frames = TsharkMptcp.Read(pcap);
            MptcpConnectionTracker fromFile = MptcpCorpusTests.Track(pcap);
            MptcpCorpusTests.Compare(fromFile, frames);
            TsharkMptcp.Connection expected = Assert.Single(TsharkMptcp.Connections(frames));
            Assert.Equal(expected.ClientToken?.ToString("x8", CultureInfo.InvariantCulture), row["client_token"]);
            Assert.Equal(expected.ServerToken?.ToString("x8", CultureInfo.InvariantCulture), row["server_token"]);
            Assert.Equal(string.Join(',', expected.Streams.Select(s => s.ToString(CultureInfo.InvariantCulture))), row["tcp_streams"]);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [GeneratedRegex(@"token=0x([0-9a-f]{8})")]
    private static partial Regex TokenRegex();
}
