using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>
/// The real daemon beside a process named NetworkManager (mptcpd#261): a copy of bash under that name, started with
/// NetworkManager's configuration options pointing at files of the test's own, in the daemon's network namespace or
/// outside it. The daemon warns only when that NetworkManager would add endpoints and addr_adv is loaded.
/// </summary>
public sealed class NetworkManagerCoexistenceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"trib-nm-{Guid.NewGuid():N}");

    public NetworkManagerCoexistenceTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "conf.d"));
        File.Copy("/bin/bash", Path.Combine(_dir, "NetworkManager"));
        File.SetUnixFileMode(Path.Combine(_dir, "NetworkManager"), (UnixFileMode)0x1ed); // 0755
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Starts the stand-in NetworkManager (in <paramref name="ns"/>, or in the test's namespace when null); its pid once
    /// /proc shows it. Its sleep holds none of the output pipes, so that stopping the stand-in ends them.
    /// </summary>
    private (BackgroundProcess Process, int Pid) StartNetworkManager(TestNetworkNamespace? ns)
    {
        string[] nm = [Path.Combine(_dir, "NetworkManager"), "-c", "sleep 60 </dev/null >/dev/null 2>&1 & wait", "NetworkManager",
            $"--config={Path.Combine(_dir, "NetworkManager.conf")}", "--config-dir", Path.Combine(_dir, "conf.d"),
            $"--system-config-dir={Path.Combine(_dir, "lib")}", $"--intern-config={Path.Combine(_dir, "intern.conf")}"];
        var process = ns is null ? new BackgroundProcess(nm[0], nm[1..]) : new BackgroundProcess("ip", ["netns", "exec", ns.Name, .. nm]);
        int pid = 0;
        TaskTimeouts.WaitUntil(() => (pid = Find()) != 0, TimeSpan.FromSeconds(10), "the stand-in NetworkManager");
        return (process, pid);
    }

    /// <summary>The pid of the process named NetworkManager whose command line names this test's directory; 0 for none.</summary>
    private int Find()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")) == "NetworkManager\n"
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(_dir, StringComparison.Ordinal))
                {
                    return int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
            }
        }
        return 0;
    }

    /// <summary>Runs the daemon in <paramref name="ns"/> with debug messages until it is ready, stops it; its standard error.</summary>
    private static string RunDaemon(TestNetworkNamespace ns, string plugin)
    {
        string socketPath = Path.Combine(Path.GetTempPath(), $"trib-notify-{Guid.NewGuid():N}.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        try
        {
            using var daemon = new BackgroundProcess("ip", ["netns", "exec", ns.Name, DaemonProcessTests.Binary, "mptcpd", "--config", DaemonProcessTests.NoConfig,
                "-d", $"--load-plugins={plugin}", "--notify-flags=existing,skip_link_local"], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
            byte[] buf = new byte[512];
            notify.ReceiveTimeout = 20_000;
            int n = notify.Receive(buf);
            Assert.StartsWith("READY=1\n", Encoding.UTF8.GetString(buf, 0, n), StringComparison.Ordinal);
            daemon.Signal(15);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(10)), "the daemon did not stop");
            Assert.Equal(0, daemon.ExitCode);
            return daemon.Error;
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    [KernelFact]
    public void A_NetworkManager_in_the_namespace_that_adds_endpoints_is_warned_about_beside_addr_adv_only()
    {
        using var ns = TestNetworkNamespace.Create("nmc");
        (BackgroundProcess nm, int pid) = StartNetworkManager(ns);
        using (nm)
        {
            // Nothing configured: NetworkManager's default (enabled,subflow) with net.mptcp.enabled at 1.
            string stderr = RunDaemon(ns, "addr_adv");
            Assert.Contains($"NetworkManager (pid {pid}) runs in this network namespace and adds MPTCP endpoints for the addresses it manages "
                + "(connection.mptcp-flags not set: its default is enabled,subflow), while addr_adv keeps the kernel's endpoint table to its own choice: "
                + "each will remove the other's endpoints.", stderr, StringComparison.Ordinal);

            // sspi leaves the endpoint table alone: said at debug level only.
            stderr = RunDaemon(ns, "sspi");
            Assert.DoesNotContain("while addr_adv keeps", stderr, StringComparison.Ordinal);
            Assert.Contains($"NetworkManager (pid {pid}) adds MPTCP endpoints in this network namespace", stderr, StringComparison.Ordinal);
            Assert.Contains("no loaded plugin edits the endpoint table", stderr, StringComparison.Ordinal);

            // Enabled in the main file, disabled by a later snippet of its configuration directory (given as "--config-dir DIR").
            File.WriteAllText(Path.Combine(_dir, "NetworkManager.conf"), "[connection]\nconnection.mptcp-flags=0x22\n");
            File.WriteAllText(Path.Combine(_dir, "conf.d", "90-no-mptcp.conf"), "[connection]\nconnection.mptcp-flags=0x1\n");
            stderr = RunDaemon(ns, "addr_adv");
            Assert.DoesNotContain("while addr_adv keeps", stderr, StringComparison.Ordinal);
            Assert.Contains($"NetworkManager (pid {pid}) runs in this network namespace and adds no MPTCP endpoints", stderr, StringComparison.Ordinal);

            // The internal file is read last: it enables again, and the setting is named with its file.
            File.WriteAllText(Path.Combine(_dir, "intern.conf"), "[connection]\nconnection.mptcp-flags=0x62\n");
            stderr = RunDaemon(ns, "addr_adv");
            Assert.Contains($"(connection.mptcp-flags=0x62 in {Path.Combine(_dir, "intern.conf")}), while addr_adv keeps", stderr, StringComparison.Ordinal);
        }
    }

    [KernelFact]
    public void A_NetworkManager_of_another_network_namespace_is_not_this_daemons_concern()
    {
        using var ns = TestNetworkNamespace.Create("nmc");
        (BackgroundProcess nm, int pid) = StartNetworkManager(null);
        using (nm)
        {
            string stderr = RunDaemon(ns, "addr_adv");
            Assert.DoesNotContain($"NetworkManager (pid {pid})", stderr, StringComparison.Ordinal);
            Assert.Contains("Terminating tributary mptcpd", stderr, StringComparison.Ordinal);
        }
    }
}
