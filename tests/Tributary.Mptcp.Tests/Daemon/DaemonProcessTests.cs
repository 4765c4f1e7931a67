using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>
/// The real <c>tributary mptcpd</c> process: exit codes and messages of ORACLE s00 (usage 64, fatal 1),
/// READY=1 to systemd, SIGTERM and SIGINT (even when inherited as ignored) ending with exit 0, and the
/// removal of its endpoints on exit.
/// </summary>
public class DaemonProcessTests
{
    private const string Try = "Try `tributary mptcpd --help' or `tributary mptcpd --usage' for more information.\n";

    internal static string Binary
    {
        get
        {
            string path = Path.Combine(SharedPaths.Repository, "artifacts", "bin", "Tributary.Cli", "release", "tributary");
            Assert.True(File.Exists(path), $"{path} is missing: build the solution in Release first");
            return path;
        }
    }

    private static ProcessResult Run(string? ns, params string[] args) =>
        ns is null
            ? ProcessRunner.Run(Binary, ["mptcpd", .. args], timeout: TimeSpan.FromSeconds(30))
            : ProcessRunner.Run("ip", ["netns", "exec", ns, Binary, "mptcpd", .. args], timeout: TimeSpan.FromSeconds(30));

    /// <summary>An empty config file, so that a machine's /etc/tributary/mptcpd.conf cannot change the test.</summary>
    internal static string NoConfig
    {
        get
        {
            string path = Path.Combine(Path.GetTempPath(), "trib-mptcpd-empty.conf");
            File.WriteAllText(path, "[core]\n");
            File.SetUnixFileMode(path, (UnixFileMode)0x1a4); // 0644
            return path;
        }
    }

    [Fact]
    public void Usage_errors_exit_64_from_the_real_binary()
    {
        foreach ((string arg, string message) in new[]
        {
            ("--foo", "unrecognized option '--foo'"),
            ("--log=foo", "Unknown logging option: \"foo\""),
            ("--plugin-dir=", "Empty plugin directory command line option."),
            ("--otlp=127.0.0.1:4318", "Invalid OTLP collector command line option \"127.0.0.1:4318\": is not an http:// or https:// URL (e.g. http://127.0.0.1:4318)"),
            ("--otlp-interval=0", "Invalid OTLP interval command line option \"0\": must be between 0.1 and 86400 seconds"),
            ("--otlp-instance=", "Empty OTLP instance command line option."),
        })
        {
            ProcessResult r = Run(null, arg);
            Assert.Equal(64, r.ExitCode);
            Assert.Equal($"tributary mptcpd: {message}\n{Try}", r.StandardError);
            Assert.Equal("", r.StandardOutput);
        }
        ProcessResult v = Run(null, "--version");
        Assert.Equal(0, v.ExitCode);
        Assert.Equal("tributary mptcpd 0.12\n", v.StandardOutput);
    }

    [Fact]
    public void World_writable_or_missing_config_files_are_fatal()
    {
        string file = Path.Combine(Path.GetTempPath(), $"trib-mptcpd-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, "[core]\nlog=stderr\n");
        try
        {
            File.SetUnixFileMode(file, (UnixFileMode)0x1b6); // 0666
            ProcessResult r = Run(null, "--config", file);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal($"\"{file}\" should be a file that is not world writable.\n", r.StandardError);
        }
        finally
        {
            File.Delete(file);
        }
        ProcessResult missing = Run(null, $"--config={file}");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"Unable to open configuration file \"{file}\": No such file or directory\n", missing.StandardError);
        string directory = Path.GetTempPath().TrimEnd('/');
        ProcessResult notFile = Run(null, $"--config={directory}");
        Assert.Equal(1, notFile.ExitCode);
        Assert.Equal($"Unable to open configuration file \"{directory}\": Is a directory\n", notFile.StandardError);
    }

    [KernelFact]
    public void Start_up_failures_exit_1_with_mptcpd_messages()
    {
        using var ns = TestNetworkNamespace.Create("mpd");
        ns.Sysctl("net.mptcp.enabled", "0");
        ProcessResult disabled = Run(ns.Name, "--config", NoConfig);
        Assert.Equal(1, disabled.ExitCode);
        Assert.Equal("MPTCP is not enabled in the kernel.\nTry 'sysctl -w net.mptcp.enabled=1'.\nRequired kernel MPTCP support not available.\n", disabled.StandardError);
        ns.Sysctl("net.mptcp.enabled", "1");

        string dir = Plugins.PluginCompiler.NewDirectory((UnixFileMode)0x1ff); // 0777
        try
        {
            ProcessResult ww = Run(ns.Name, "--config", NoConfig, $"--plugin-dir={dir}");
            Assert.Equal(1, ww.ExitCode);
            Assert.Equal($"\"{dir}\" should be a directory that is not world writable.\nUnable to load path manager plugins.\n", ww.StandardError);
            File.SetUnixFileMode(dir, (UnixFileMode)0x1e8); // 0750
            ProcessResult none = Run(ns.Name, "--config", NoConfig, $"--plugin-dir={dir}", "--load-plugins=nonexistent");
            Assert.Equal(1, none.ExitCode);
            Assert.Equal($"{dir}/nonexistent.dll: cannot open plugin assembly: No such file or directory\nUnable to load path manager plugins.\n", none.StandardError);
        }
        finally
        {
            Directory.Delete(dir);
        }
        ProcessResult nodir = Run(ns.Name, "--config", NoConfig, "--plugin-dir=/nonexistent");
        Assert.Equal(1, nodir.ExitCode);
        Assert.Equal("Unable to open plugin directory: No such file or directory\nUnable to load path manager plugins.\n", nodir.StandardError);
    }

    [KernelFact("setpriv")]
    public void Without_CAP_NET_ADMIN_it_exits_1_naming_the_capability_instead_of_flooding_EPERM()
    {
        // mptcpd warns that it cannot join the events group and runs on, and every command then fails with EPERM
        // (mptcpd#285: a unit without the capability). Here it is a start-up error that says what is missing.
        using var ns = TestNetworkNamespace.Create("mpd");
        ProcessResult r = ProcessRunner.Run("ip", ["netns", "exec", ns.Name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", Binary, "mptcpd", "--config", NoConfig], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"(?m)^Unable to register handler for mptcp_pm_events: join netlink group \d+: Operation not permitted \(EPERM\)\. "
            + @"Managing MPTCP paths needs CAP_NET_ADMIN: run as root, or give the service AmbientCapabilities=CAP_NET_ADMIN\.$", r.StandardError);
        Assert.DoesNotContain("Terminating", r.StandardError, StringComparison.Ordinal); // never got as far as running
    }

    [KernelFact("sh")]
    public void Ready_is_notified_signals_end_it_with_exit_0_and_its_endpoints_go_with_it()
    {
        using var ns = TestNetworkNamespace.Create("mpd");
        ns.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
        ns.Ip("addr", "add", "192.0.2.1/24", "dev", "v0");
        ns.Ip("link", "set", "v0", "up");
        ns.Ip("link", "set", "v1", "up");
        string socketPath = Path.Combine(Path.GetTempPath(), $"trib-notify-{Guid.NewGuid():N}.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        try
        {
            foreach (int signal in new[] { 15, 2 })
            {
                // SIGINT inherited as ignored, as a shell's background job gets it (SUMMARY pitfall 7).
                string cmd = $"trap '' INT; exec ip netns exec {ns.Name} {Binary} mptcpd --config {NoConfig} --load-plugins=addr_adv --notify-flags=existing,skip_link_local --addr-flags=subflow --remove-endpoints-on-exit";
                using var daemon = new BackgroundProcess("sh", ["-c", cmd], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
                byte[] buf = new byte[512];
                notify.ReceiveTimeout = 20_000;
                int n = notify.Receive(buf);
                string ready = Encoding.UTF8.GetString(buf, 0, n);
                Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
                Assert.Contains($"MAINPID={daemon.Id}", ready, StringComparison.Ordinal);
                TaskTimeouts.WaitUntil(() => ns.Ip("mptcp", "endpoint", "show").Contains("192.0.2.1 id 1 subflow dev v0", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(15), "the endpoint");
                daemon.Signal(signal);
                Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(10)), $"the daemon did not stop on signal {signal}");
                Assert.Equal(0, daemon.ExitCode);
                Assert.Contains("Terminating tributary mptcpd", daemon.Error, StringComparison.Ordinal);
                Assert.Contains("MPTCP address advertiser path manager exited.", daemon.Error, StringComparison.Ordinal);
                n = notify.Receive(buf);
                Assert.Equal("STOPPING=1", Encoding.UTF8.GetString(buf, 0, n));
                Assert.Equal("", ns.Ip("mptcp", "endpoint", "show").Trim());
                Assert.Equal("add_addr_accepted 0 subflows 2", ns.Ip("mptcp", "limits", "show").Trim());
            }
        }
        finally
        {
            File.Delete(socketPath);
        }
        _ = CultureInfo.InvariantCulture;
    }
}
