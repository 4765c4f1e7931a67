using System.Diagnostics;
using System.Globalization;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Export;

/// <summary>
/// <c>flows export --interface</c>: the meter on a live link, where the active timeout runs on the wall clock. tcpdump
/// captures the same link at the same time, and tshark reads both its capture and the records.
/// </summary>
public sealed class FlowExportLiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("trib-export-live").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Process Start(TestNetworkNamespace ns, params string[] args)
    {
        Process p = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns.Name, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        PacketSockets.WaitFor(p, 1);
        return p;
    }

    private static void Stop(Process p)
    {
        ProcessRunner.Run("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
        Assert.True(p.WaitForExit(15_000), $"{p.StartInfo.ArgumentList[3]} did not stop");
    }

    [KernelFact("python3", "tcpdump", "tshark")]
    public void A_live_flow_is_exported_every_active_timeout_then_at_its_close_and_adds_up_to_the_capture()
    {
        // One connection on lo that lives about 2.6 s: three requests 0.8 s apart, each answered, then a close. With
        // --active-timeout 1 each direction gets records of reason 2 while it runs (the wall clock moves the meter
        // also while the link is quiet), then one of reason 3 at the close. Per direction the records add up to what
        // tcpdump captured of the connection, and their times follow each other.
        using TestNetworkNamespace ns = TestNetworkNamespace.Create("fxl");
        string ipfix = Path.Combine(_dir, "live.ipfix"), pcap = Path.Combine(_dir, "live.pcap");
        using Process monitor = Start(ns, Launcher.Path, "flows", "export", "--interface", "lo", "--ipfix", ipfix, "--active-timeout", "1");
        using Process tcpdump = Start(ns, "tcpdump", "-i", "lo", "-n", "--immediate-mode", "-U", "-w", pcap, "tcp");
        try
        {
            const string talk = """
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 7010)); s.listen(1)
c = socket.create_connection(("127.0.0.1", 7010)); a, _ = s.accept()
for i in range(3):
    time.sleep(0.8)
    c.sendall(b"req%d" % i); a.recv(16); a.sendall(b"answer%d" % i); c.recv(16)
c.close(); a.close()
time.sleep(0.5)
""";
            ns.Exec("python3", "-c", talk).EnsureSuccess("connection");
            Stop(tcpdump);
            Stop(monitor);
            Assert.Equal(0, monitor.ExitCode);
            Assert.StartsWith("flows 1\n", monitor.StandardOutput.ReadToEnd(), StringComparison.Ordinal);
            Assert.Matches(@"^tributary: lo: kernel received \d+ packets, dropped 0\n$", monitor.StandardError.ReadToEnd());

            List<string> records = IpfixTshark.DecodedFileList(ipfix);
            SortedSet<string> captured = IpfixTshark.Expected(pcap);
            Assert.Equal(2, captured.Count); // one connection, both directions
            Assert.Equal(IpfixTshark.Sums(captured), IpfixTshark.Sums(records));
            foreach (int direction in (int[])[1, 2])
            {
                // "src sport dst dport octets packets startMs endMs endReason direction", in export order.
                long[][] mine = [.. records.Select(r => r.Split(' ')).Where(f => f[9] == direction.ToString(CultureInfo.InvariantCulture))
                    .Select(f => f[4..9].Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray())];
                Assert.True(mine.Length >= 2, $"direction {direction}: {mine.Length} records");
                Assert.All(mine[..^1], r => Assert.Equal(2, r[4]));
                Assert.Equal(3, mine[^1][4]);
                for (int i = 1; i < mine.Length; i++)
                    Assert.True(mine[i][2] > mine[i - 1][3], $"direction {direction}: record {i} starts at {mine[i][2]}, before the last one ended ({mine[i - 1][3]})");
                // The first and last packets' times as tcpdump stamped them (each packet socket takes its own time of
                // the same packet: a few µs apart), not the clock at which the meter got them.
                long[] all = [.. captured.Select(r => r.Split(' ')).Single(f => f[9] == direction.ToString(CultureInfo.InvariantCulture))
                    .Select(v => long.TryParse(v, CultureInfo.InvariantCulture, out long n) ? n : 0)];
                Assert.InRange(mine[0][2], all[6] - 2, all[6] + 2);
                Assert.InRange(mine[^1][3], all[7] - 2, all[7] + 2);
            }
        }
        finally
        {
            foreach (Process p in (Process[])[monitor, tcpdump])
            {
                if (!p.HasExited)
                    p.Kill(entireProcessTree: true);
            }
        }
    }
}
