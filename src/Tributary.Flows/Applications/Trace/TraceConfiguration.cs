using System.Globalization;

namespace Tributary.Flows.Applications.Trace;

/// <summary>
/// mOS configuration for a replay (TRACER §2.2): the reference configuration's defaults, then a mOS-format file
/// (<c>mos { key = value … }</c>), then <c>--set KEY=VALUE</c> (last wins). Values are validated (DEVIATIONS
/// B31): an invalid value or an unknown key given with --set throws <see cref="ArgumentException"/>; an unknown key
/// in a file is a warning.
/// </summary>
public static class TraceConfiguration
{
    private static readonly string[] s_known = ["forward", "rmem_size", "tcp_timeout", "tcp_tw_interval", "max_concurrency"];

    // Keys of mOS's configuration that a replay accepts and ignores (INVENTORY §14).
    private static readonly string[] s_ignored = ["mos_log", "nb_mem_channels", "wmem_size", "no_ring_buffers", "stat_print", "multiprocess", "num_cores"];

    public static MonitorContextOptions Build(bool mosCompat, string? configFile, IEnumerable<string> settings, Action<string>? warn)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["forward"] = "1",
            ["rmem_size"] = "8192",
            ["tcp_timeout"] = "30",
            ["tcp_tw_interval"] = "0",
            ["max_concurrency"] = "1024",
        };
        if (configFile is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(configFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{configFile}: {ex.Message}", ex);
            }
            foreach (string raw in text.Split('\n'))
            {
                string line = raw;
                int hash = line.IndexOf('#', StringComparison.Ordinal);
                if (hash >= 0)
                    line = line[..hash];
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                    continue; // block names, braces, netdev/arp/route table entries
                string key = line[..eq].Trim().TrimStart('{').Trim();
                string value = line[(eq + 1)..].Trim().TrimEnd('}').Trim();
                if (Array.IndexOf(s_known, key) >= 0)
                    values[key] = value;
                else if (Array.IndexOf(s_ignored, key) < 0)
                    warn?.Invoke($"{configFile}: unknown configuration key '{key}' ignored");
            }
        }
        foreach (string setting in settings)
        {
            int eq = setting.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new ArgumentException($"--set expects KEY=VALUE (got '{setting}')");
            string key = setting[..eq].Trim();
            if (Array.IndexOf(s_known, key) < 0)
                throw new ArgumentException($"--set: unknown configuration key '{key}' (known: {string.Join(", ", s_known)})");
            values[key] = setting[(eq + 1)..].Trim();
        }
        int forward = Integer(values, "forward");
        if (forward is not (0 or 1))
            throw new ArgumentException($"forward must be 0 or 1 (got {forward})");
        var options = new MonitorContextOptions
        {
            MosCompat = mosCompat,
            Forward = forward == 1,
            ReceiveBufferSize = Integer(values, "rmem_size"),
            TcpTimeoutSeconds = Integer(values, "tcp_timeout"),
            TimeWaitSeconds = Integer(values, "tcp_tw_interval"),
            MaxConcurrency = Integer(values, "max_concurrency"),
            VerifyChecksums = true,
        };
        options.Validate();
        return options;
    }

    private static int Integer(Dictionary<string, string> values, string key)
    {
        if (!int.TryParse(values[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
            throw new ArgumentException($"{key} must be an integer (got '{values[key]}')");
        return v;
    }
}
