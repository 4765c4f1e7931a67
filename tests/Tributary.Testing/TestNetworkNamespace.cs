namespace Tributary.Testing;

/// <summary>
/// A fresh network namespace for one test: created with <c>ip netns add</c> under a unique name,
/// loopback up, deleted (with everything in it) on dispose. Commands run inside with <see cref="Ip"/>
/// and <see cref="Exec"/>; sockets are created inside through Tributary.Netlink's namespace support.
/// </summary>
public sealed class TestNetworkNamespace : IDisposable
{
    private static int s_counter;
    private bool _disposed;

    private TestNetworkNamespace(string name) => Name = name;

    /// <summary>The namespace name (as in <c>ip netns list</c>).</summary>
    public string Name { get; }

    /// <summary>The namespace's file, usable with setns.</summary>
    public string Path => $"/run/netns/{Name}";

    /// <summary>Creates a namespace named <c>trib-PREFIX-PID-N</c> and brings its loopback up.</summary>
    public static TestNetworkNamespace Create(string prefix = "t")
    {
        string name = $"trib-{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        ProcessRunner.Run("ip", "netns", "add", name).EnsureSuccess($"ip netns add {name}");
        var ns = new TestNetworkNamespace(name);
        try
        {
            ns.Ip("link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>Runs <c>ip ARGS</c> inside the namespace; throws on failure.</summary>
    public string Ip(params string[] args) =>
        ProcessRunner.Run("ip", ["-n", Name, .. args]).EnsureSuccess($"ip -n {Name} {string.Join(' ', args)}").StandardOutput;

    /// <summary>
    /// Runs <c>ip -batch -</c> inside the namespace with the given commands, one per line. Throws on
    /// the first failing command, or with <paramref name="force"/> (<c>ip -force</c>) runs them all
    /// and returns the result, failures included (e.g. deleting what the kernel already removed).
    /// </summary>
    public ProcessResult IpBatch(IEnumerable<string> commands, bool force = false)
    {
        string input = string.Join('\n', commands) + "\n";
        string[] args = force ? ["-n", Name, "-force", "-batch", "-"] : ["-n", Name, "-batch", "-"];
        ProcessResult r = ProcessRunner.Run("ip", args, input, TimeSpan.FromMinutes(5));
        return force ? r : r.EnsureSuccess("ip -batch");
    }

    /// <summary>Runs any program inside the namespace (<c>ip netns exec</c>).</summary>
    public ProcessResult Exec(string program, params string[] args) =>
        ProcessRunner.Run("ip", ["netns", "exec", Name, program, .. args]);

    /// <summary>Sets a sysctl inside the namespace.</summary>
    public void Sysctl(string key, string value) =>
        Exec("sysctl", "-q", "-w", $"{key}={value}").EnsureSuccess($"sysctl {key}={value}");

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        ProcessRunner.Run("ip", "netns", "del", Name);
    }
}
