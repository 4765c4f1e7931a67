using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// A real MPTCP connection between two fresh namespaces over two paths (the layout of tools/mptcp/topology.sh, with
/// this test's own namespaces): the client has a <c>subflow</c> endpoint on its second path (MP_JOIN) and the server a
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
        string app = SharedPaths.RequireShared("tools", "mptcp", "mptcp_app.py");
        string bin = Launcher.Path;
        using TestNetworkNamespace client = TestNetworkNamespace.Create("mfc");
        using TestNetworkNamespace server = TestNetworkNamespace.Create("mfs");
        foreach (TestNetworkNamespace ns in new[] { client, server })
        {
            ns.Sysctl("net.mptcp.enabled", "1");
            ns.Sysctl("net.ipv4.conf.all.rp_filter", "0");
            ns.Sysctl("net.ipv4.conf.default.rp_filter", "0");
        }
        for (int p = 1; p <= 2; p++)
        {
            client.Ip("link", "add", $"c{p}", "type", "veth", "peer", "name", $"s{p}", "netns", server.Name);
            client.Ip("addr", "add", $"10.11.{p}.1/24", "dev", $"c{p}");
            server.Ip("addr", "add", $"10.11.{p}.2/24", "dev", $"s{p}");
            client.Ip("link", "set", $"c{p}", "up");
            server.Ip("link", "set", $"s{p}", "up");
        }
        client.Ip("route", "add", "default", "via", "10.11.1.2", "dev", "c1", "metric", "100");
        client.Ip("route", "add", "default", "via", "10.11.2.2", "dev", "c2", "metric", "200");
        client.Ip("mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4");
        server.Ip("mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4");
        client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "subflow");
        server.Ip("mptcp", "endpoint", "add", "10.11.2.2", "dev", "s2", "signal");

        string pcap = Path.Combine(Path.GetTempPath(), $"trib-mptcp-live-{Environment.ProcessId}.pcap");
        using Process tcpdump = Start("ip", ["netns", "exec", client.Name, "tcpdump", "-i", "any", "-U", "-w", pcap, "tcp"]);
        using Process monitor = Start("ip", ["netns", "exec", client.Name, bin, "flows", "mptcp", "--interface", "any"]);
        using Process listener = Start("ip", ["netns", "exec", server.Name, "python3", app, "server", "0.0.0.0", Port.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            PacketSockets.WaitFor(tcpdump, 1);
            PacketSockets.WaitFor(monitor, 1);
            TaskTimeouts.WaitUntil(() => server.Exec("ss", "-Hltn", $"sport = :{Port}").StandardOutput.Contains("LISTEN", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), "the MPTCP server listening");
            string said = client.Exec("python3", app, "client", "10.11.1.2", Port.ToString(CultureInfo.InvariantCulture), "2")
                .EnsureSuccess("MPTCP client").StandardOutput;
            // MPTCP_INFO's token is the local one: the client's token (RFC 8684 §3.2: the token the server puts in its joins).
            string kernelToken = TokenRegex().Matches(said).Select(m => m.Groups[1].Value).Last();
            Thread.Sleep(1000); // the closing handshake
            Stop(monitor);
            Stop(tcpdump);
            string output = monitor.StandardOutput.ReadToEnd();
            Assert.Equal(0, monitor.ExitCode);
            Assert.Matches(@"^tributary: any: kernel received \d+ packets, dropped 0\n$", monitor.StandardError.ReadToEnd());

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
            Stop(listener);
            Stop(monitor);
            Stop(tcpdump);
            File.Delete(pcap);
        }
    }

    private static Process Start(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(psi)!;
    }

    /// <summary>SIGINT (the monitor's and tcpdump's clean stop), then a kill of that one process if it lingers.</summary>
    private static void Stop(Process p)
    {
        if (p.HasExited)
            return;
        ProcessRunner.Run("kill", "-INT", p.Id.ToString(CultureInfo.InvariantCulture));
        if (!p.WaitForExit(15_000))
            p.Kill();
        p.WaitForExit();
    }

    [GeneratedRegex(@"token=0x([0-9a-f]{8})")]
    private static partial Regex TokenRegex();
}
