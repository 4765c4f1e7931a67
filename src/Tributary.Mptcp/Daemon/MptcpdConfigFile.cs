using Tributary.Links;
using Tributary.Telemetry;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// mptcpd's configuration file (INVENTORY f.2): an ELL l_settings INI file whose <c>[core]</c> group holds
/// log, plugin-dir, path-manager, addr-flags, notify-flags and load-plugins (plus this daemon's
/// remove-endpoints-on-exit, interfaces, exclude-interfaces, interface-flags, otlp, otlp-interval, otlp-instance and control-socket, whose values are as on
/// the command line, <see cref="MptcpdInterfaceOptions"/>; a bad one is ignored with a warning). Unknown keys and groups are ignored; a file that does not parse is ignored
/// as a whole (with a debug message), as in mptcpd. Two corrections: an empty value means "not set"
/// (mptcpd used an empty plugin-dir verbatim and failed, contrary to its NEWS), and an unknown log
/// target is reported as a warning instead of being ignored silently.
/// </summary>
public static class MptcpdConfigFile
{
    /// <summary>Parses the text; null when it is not a valid settings file.</summary>
    public static MptcpdSettings? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        string? group = null;
        var core = new Dictionary<string, string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim(' ', '\t');
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '[')
            {
                if (line[^1] != ']' || line.Length < 3 || line.IndexOfAny(['[', ']'], 1) != line.Length - 1)
                {
                    error = $"line {lineNumber}: invalid group name";
                    return null;
                }
                group = line[1..^1];
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || group is null)
            {
                error = $"line {lineNumber}: expected [group] or key=value";
                return null;
            }
            string key = line[..eq].TrimEnd(' ', '\t');
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error = $"line {lineNumber}: invalid key \"{key}\"";
                return null;
            }
            string value = line[(eq + 1)..].TrimStart(' ', '\t');
            if (group == "core")
                core[key] = value;
        }

        var warnings = new List<string>();
        MptcpdLogTarget? log = null;
        if (Value(core, "log") is { } l)
        {
            log = MptcpdCommandLine.ParseLog(l);
            if (log is null)
                warnings.Add($"Unknown logging option in the configuration file: \"{l}\" (ignored)");
        }
        MptcpEndpointFlags? addr = null;
        if (Value(core, "addr-flags") is { } af)
        {
            addr = MptcpdFlags.ParseAddressFlags(af, out string? w);
            if (w is not null)
                warnings.Add(w);
        }
        NotifyFlags? notify = null;
        if (Value(core, "notify-flags") is { } nf)
        {
            notify = MptcpdFlags.ParseNotifyFlags(nf, out string? w);
            if (w is not null)
                warnings.Add(w);
        }
        IReadOnlyList<InterfacePattern>? interfaces = null;
        if (Value(core, "interfaces") is { } ifs)
        {
            interfaces = MptcpdInterfaceOptions.ParseInterfaceList(ifs, out string? e);
            if (interfaces is null)
                warnings.Add($"interfaces: {e} (ignored)");
        }
        IReadOnlyList<InterfacePattern>? exclude = null;
        if (Value(core, "exclude-interfaces") is { } xs)
        {
            exclude = MptcpdInterfaceOptions.ParseInterfaceList(xs, out string? e);
            if (exclude is null)
                warnings.Add($"exclude-interfaces: {e} (ignored)");
        }
        IReadOnlyList<InterfaceEndpointFlags>? interfaceFlags = null;
        if (Value(core, "interface-flags") is { } iff)
        {
            interfaceFlags = MptcpdInterfaceOptions.ParseInterfaceFlags(iff, out string? e);
            if (interfaceFlags is null)
                warnings.Add($"interface-flags: {e} (ignored)");
        }
        bool? remove = null;
        if (Value(core, "remove-endpoints-on-exit") is { } r)
        {
            remove = r is "true" or "yes" or "1" ? true : r is "false" or "no" or "0" ? false : null;
            if (remove is null)
                warnings.Add($"remove-endpoints-on-exit: expected true or false, not \"{r}\" (ignored)");
        }
        Uri? otlp = null;
        if (Value(core, "otlp") is { } o)
        {
            otlp = OtlpValues.MetricsUrl(o, out string? e);
            if (otlp is null)
                warnings.Add($"otlp: \"{o}\" {e} (ignored)");
        }
        TimeSpan? otlpInterval = null;
        if (Value(core, "otlp-interval") is { } oi)
        {
            if (OtlpValues.TryParseInterval(oi, out TimeSpan interval, out bool isNumber))
                otlpInterval = interval;
            else
                warnings.Add($"otlp-interval: \"{oi}\" {(isNumber ? OtlpValues.IntervalRequirement : "is not a number of seconds")} (ignored)");
        }
        string? otlpInstance = Value(core, "otlp-instance") is { } on && OtlpValues.IsValidInstance(on) ? on : null;
        return new MptcpdSettings
        {
            Otlp = otlp,
            OtlpInterval = otlpInterval,
            OtlpInstance = otlpInstance,
            ControlSocket = Value(core, "control-socket"),
            Log = log,
            PluginDirectory = Value(core, "plugin-dir"),
            PathManager = Value(core, "path-manager"),
            AddressFlags = addr,
            NotifyFlags = notify,
            LoadPlugins = Value(core, "load-plugins") is { } lp ? MptcpdCommandLine.SplitList(lp) : null,
            RemoveEndpointsOnExit = remove,
            Interfaces = interfaces,
            ExcludeInterfaces = exclude,
            InterfaceFlags = interfaceFlags,
            Warnings = warnings,
        };
    }

    private static string? Value(Dictionary<string, string> core, string key) =>
        core.TryGetValue(key, out string? v) && v.Length > 0 ? v : null;
}
