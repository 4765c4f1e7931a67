using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tributary.Flows.Telemetry;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Telemetry;

/// <summary>
/// <c>flows stats -i IF --threads 2 --otlp …</c> on a veth pair between two network namespaces of the test, the
/// collector on the monitor's namespace's loopback: exports arrive every interval while it runs, cumulative and never
/// going back, and after SIGINT the last one equals the totals it printed and the kernel's counts.
/// </summary>
public sealed partial class OtlpLiveTests
{
    private const int Connections = 30;

    [KernelFact("python3")]
    public async Task Live_exports_arrive_every_interval_and_the_last_equals_the_printed_totals()
    {
        using var a = TestNetworkNamespace.Create("otla");
        using var b = TestNetworkNamespace.Create("otlb");
        foreach (TestNetworkNamespace ns in new[] { a, b })
            ns.Sysctl("net.ipv6.conf.all.disable_ipv6", "1"); // no neighbour discovery: the link carries the test's traffic only
        ProcessRunner.Run("ip", "link", "add", "va", "netns", a.Name, "type", "veth", "peer", "name", "vb", "netns", b.Name).EnsureSuccess("veth");
        a.Ip("addr", "add", "10.213.0.1/24", "dev", "va");
        b.Ip("addr", "add", "10.213.0.2/24", "dev", "vb");
        a.Ip("link", "set", "va", "up");
        b.Ip("link", "set", "vb", "up");
        // The collector listens on 127.0.0.1 of the monitor's namespace: the export never leaves it.
        Socket listening = Tributary.Netlink.NetworkNamespace.Run(b.Path, OtlpReceiver.Listen);
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync(listening);

        // The server ends when its standard input closes: python3 may run under a wrapper (pyenv's shim) that a kill of
        // the process tree does not reach.
        using Process server = StartIn(b, "python3", "-c", """
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.213.0.2", 8080)); s.listen(64)
def serve():
    while True:
        c, _ = s.accept(); c.recv(100); c.sendall(b"pong"); c.close()
threading.Thread(target=serve, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
""");
        using Process monitor = StartIn(b, Launcher.Path, "flows", "stats", "--interface", "vb", "--threads", "2",
            "--otlp", collector.BaseUrl.ToString(), "--otlp-interval", "1", "--otlp-instance", "live-test");
        try
        {
            Assert.Equal("ready", server.StandardOutput.ReadLine());
            PacketSockets.WaitFor(monitor, 2);
            // 30 connections over 3 s: exports come while they are made.
            a.Exec("python3", "-c", $"""
import socket, time
for i in range({Connections}):
    c = socket.create_connection(("10.213.0.2", 8080)); c.sendall(b"ping"); c.recv(100); c.close(); time.sleep(0.1)
""").EnsureSuccess("client");
            // An interval export that saw every connection, before the stop (on a loaded machine the first exports
            // may all come before the first connection, so their number proves nothing).
            TaskTimeouts.WaitUntil(() => collector.Requests.Any(q => OtlpExportTests.Value(q.Decode(), "tributary.flows.started") == Connections),
                TimeSpan.FromSeconds(20), "an export with every connection while running");
            // Interrupt right after a periodic export arrived, so that the next periodic one is an interval away and the
            // export after the signal is nearly always the shutdown's alone.
            int periodic = collector.Requests.Count;
            TaskTimeouts.WaitUntil(() => collector.Requests.Count > periodic, TimeSpan.FromSeconds(10), "a periodic export");
            ulong interrupted = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            ProcessRunner.Run("kill", "-INT", monitor.Id.ToString(CultureInfo.InvariantCulture)).EnsureSuccess("kill -INT");
            Assert.True(monitor.WaitForExit(30_000), "the monitor did not end after SIGINT");
            string stdout = await monitor.StandardOutput.ReadToEndAsync().WithTimeout();
            string stderr = await monitor.StandardError.ReadToEndAsync().WithTimeout();
            Assert.Equal(0, monitor.ExitCode);

            // The totals: every connection tracked from its handshake, in two shards.
            Dictionary<string, long> totals = OtlpExportTests.Totals(stdout);
            Assert.Equal(Connections, totals["flows"]);
            Assert.Equal(2, totals["threads"]);
            Match kernel = KernelLine().Match(stderr);
            Assert.True(kernel.Success, stderr);
            long received = long.Parse(kernel.Groups[1].Value, CultureInfo.InvariantCulture), dropped = long.Parse(kernel.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.Equal(kernel.Value + "\n", stderr); // and nothing about the export

            var requests = collector.Requests.Select(q => q.Decode()).ToList();
            // The last export came after SIGINT: the reader's shutdown. An interval export may land in the same
            // moment (a fresh-clone CI run collected one after the signal), so this cannot count them; the file
            // tests, which have no intervals, prove the single final export.
            Assert.True(requests[^1].Metrics.First().Points[0].TimeUnixNano > interrupted, "no export after SIGINT");
            Assert.InRange(requests.Count(r => r.Metrics.First().Points[0].TimeUnixNano > interrupted), 1, 2);
            long previousPackets = -1, previousFlows = -1;
            ulong previousTime = 0;
            foreach (OtlpMetricsRequest r in requests)
            {
                OtlpExportTests.AssertShape(r, "live-test", FlowMetrics.InterfaceAttribute, "vb", live: true);
                long packets = OtlpExportTests.Value(r, "tributary.flows.packets"), flows = OtlpExportTests.Value(r, "tributary.flows.started");
                Assert.True(packets >= previousPackets && flows >= previousFlows, "a cumulative counter went back");
                ulong time = r.Metrics.First().Points[0].TimeUnixNano;
                Assert.True(time > previousTime);
                (previousPackets, previousFlows, previousTime) = (packets, flows, time);
            }
            Assert.True(requests.Count(r => r.Metrics.First().Points[0].TimeUnixNano < interrupted) >= 2, "fewer than two exports while running");
            OtlpMetricsRequest last = requests[^1];
            OtlpExportTests.AssertTotals(last, totals);
            Assert.Equal(received, OtlpExportTests.Value(last, "tributary.capture.received"));
            Assert.Equal(dropped, OtlpExportTests.Value(last, "tributary.capture.dropped"));
            Assert.Equal(received - dropped, totals["packets"]); // what the kernel delivered is what the monitor counted
        }
        finally
        {
            server.StandardInput.Close();
            foreach (Process p in new[] { monitor, server })
            {
                if (!p.WaitForExit(5000))
                    p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
        }
    }

    [GeneratedRegex(@"^tributary: vb: kernel received (\d+) packets, dropped (\d+)$", RegexOptions.Multiline)]
    private static partial Regex KernelLine();

    private static Process StartIn(TestNetworkNamespace ns, string program, params string[] args)
    {
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns.Name, program, .. args])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }
}
