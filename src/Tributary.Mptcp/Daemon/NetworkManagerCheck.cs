using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// Coexistence with NetworkManager (mptcpd#261, reference/mptcpd/USERS.md C and E): NetworkManager 1.40 and later
/// adds an MPTCP endpoint for each address it manages, and addr_adv keeps the kernel's endpoint table to its own
/// choice, so with both in one network namespace each removes or re-adds the other's endpoints. mptcpd's README
/// only says not to run both. At start the daemon looks for a NetworkManager process in its own network namespace
/// (<c>/proc/PID/comm</c>, <c>/proc/PID/ns/net</c>), reads the configuration that process reads (its
/// <c>--config</c>, <c>--config-dir</c>, <c>--system-config-dir</c> and <c>--intern-config</c> options or their
/// defaults, and its keyfile profiles), and warns, naming the setting, when NetworkManager adds endpoints and
/// addr_adv is loaded.
/// </summary>
internal static class NetworkManagerCheck
{
    private const string ProcessName = "NetworkManager";

    /// <summary>The plugin that edits the kernel's endpoint table.</summary>
    private const string EndpointPlugin = "addr_adv";

    /// <summary>A NetworkManager process in this network namespace: its pid and command-line arguments (after the program).</summary>
    internal readonly record struct Instance(int Pid, IReadOnlyList<string> Arguments);

    /// <summary>Looks and logs: a warning when NetworkManager adds endpoints beside addr_adv, else a debug line.</summary>
    public static void Run(IReadOnlyList<string> registeredPlugins, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(registeredPlugins);
        ArgumentNullException.ThrowIfNull(log);
        foreach (Instance nm in Find())
        {
            NetworkManagerConfiguration config = Configuration(nm.Arguments);
            string? enabling = config.Enabling();
            if (enabling is null)
            {
                log.LogDebug("NetworkManager (pid {Pid}) runs in this network namespace and adds no MPTCP endpoints "
                    + "(connection.mptcp-flags disabled in its configuration and profiles)", nm.Pid);
            }
            else if (!registeredPlugins.Contains(EndpointPlugin, StringComparer.Ordinal))
            {
                log.LogDebug("NetworkManager (pid {Pid}) adds MPTCP endpoints in this network namespace ({Setting}); "
                    + "no loaded plugin edits the endpoint table", nm.Pid, enabling);
            }
            else
            {
                log.LogWarning("NetworkManager (pid {Pid}) runs in this network namespace and adds MPTCP endpoints for the "
                    + "addresses it manages ({Setting}), while addr_adv keeps the kernel's endpoint table to its own choice: "
                    + "each will remove the other's endpoints. Let one of them manage endpoints: set "
                    + "connection.mptcp-flags=0x1 in a [connection] section of NetworkManager's configuration "
                    + "(/etc/NetworkManager/conf.d), or load a plugin other than addr_adv.", nm.Pid, enabling);
            }
        }
    }

    /// <summary>The NetworkManager processes whose network namespace is this process's; none when /proc cannot tell.</summary>
    internal static IReadOnlyList<Instance> Find()
    {
        var found = new List<Instance>();
        string? own = Namespace("/proc/self");
        if (own is null)
            return found;
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return found;
        }
        foreach (string dir in entries)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n') != ProcessName || Namespace(dir) != own)
                    continue;
                string[] argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                found.Add(new Instance(pid, argv.Skip(1).Where(a => a.Length > 0).ToArray()));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        return found;
    }

    /// <summary>The configuration a NetworkManager started with <paramref name="arguments"/> reads.</summary>
    internal static NetworkManagerConfiguration Configuration(IReadOnlyList<string> arguments)
    {
        string main = Option(arguments, "config") ?? "/etc/NetworkManager/NetworkManager.conf";
        string configDir = Option(arguments, "config-dir") ?? "/etc/NetworkManager/conf.d";
        string systemDir = Option(arguments, "system-config-dir") ?? "/usr/lib/NetworkManager/conf.d";
        string intern = Option(arguments, "intern-config") ?? "/var/lib/NetworkManager/NetworkManager-intern.conf";
        IReadOnlyList<string> files = NetworkManagerConfiguration.Files(main, configDir, systemDir, "/run/NetworkManager/conf.d", intern);
        return NetworkManagerConfiguration.Read(files, ["/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections"]);
    }

    /// <summary>The value of <c>--NAME=VALUE</c> or <c>--NAME VALUE</c> (the last one given); null when absent.</summary>
    internal static string? Option(IReadOnlyList<string> arguments, string name)
    {
        string? value = null;
        for (int i = 0; i < arguments.Count; i++)
        {
            string a = arguments[i];
            if (a == "--" + name && i + 1 < arguments.Count)
                value = arguments[++i];
            else if (a.StartsWith("--" + name + "=", StringComparison.Ordinal))
                value = a[(name.Length + 3)..];
        }
        return value;
    }

    /// <summary>The network namespace of a /proc entry ("net:[INODE]"); null when it cannot be read.</summary>
    private static string? Namespace(string processDirectory)
    {
        try
        {
            return new FileInfo(Path.Combine(processDirectory, "ns", "net")).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
