using System.Text;
using Tributary.Telemetry;

namespace Tributary.Mptcp.Daemon;

/// <summary>What parsing the command line decided: run with settings, or exit now with output.</summary>
public sealed record MptcpdParseResult(MptcpdSettings? Settings, int ExitCode, string StandardOutput, string StandardError)
{
    public bool ShouldExit => Settings is null;
}

/// <summary>
/// mptcpd's command line with GNU argp's behaviour and messages (reference/mptcpd/transcripts/s00_cli.txt,
/// INVENTORY f.1), under the program name "tributary mptcpd": getopt_long long options with unambiguous
/// abbreviations, <c>--opt=value</c> and <c>--opt value</c>, clustered short options, <c>--</c>; usage errors
/// print "PROGRAM: message" then "Try `PROGRAM --help' or `PROGRAM --usage' for more information." and
/// exit 64 (EX_USAGE). <c>--help</c>, <c>--usage</c> and <c>--version</c> print to standard output and exit 0
/// when they are reached, as argp does. Extensions: <c>--config=FILE</c>, <c>--remove-endpoints-on-exit</c>,
/// <c>--interfaces</c>, <c>--exclude-interfaces</c> and <c>--interface-flags</c> (<see cref="MptcpdInterfaceOptions"/>),
/// <c>--otlp</c>, <c>--otlp-interval</c> and <c>--otlp-instance</c> (OpenTelemetry metrics, values as <see cref="OtlpValues"/> parses them),
/// <c>--control-socket</c> (<see cref="ControlServer"/>).
/// </summary>
public static class MptcpdCommandLine
{
    public const string ProgramName = "tributary mptcpd";
    public const string DefaultConfigFile = "/etc/tributary/mptcpd.conf";
    public const string Version = "tributary mptcpd 0.12";
    public const int ExitUsage = 64;

    private enum Arg
    {
        None,
        Required,
    }

    private sealed record Option(string Long, char Short, Arg Arg, string? ArgName, string Doc);

    // In argp's help order (alphabetical within the group), then the standard options.
    private static readonly Option[] Options =
    [
        new("addr-flags", '\0', Arg.Required, "FLAGS", "Set flags for announced address, e.g. --addr-flags=subflow"),
        new("config", '\0', Arg.Required, "FILE", $"Read settings from FILE instead of {DefaultConfigFile}"),
        new("control-socket", '\0', Arg.Required, "PATH", "Answer queries and stream MPTCP events as JSON lines on this Unix socket (mode 0600), e.g. --control-socket=/run/tributary-mptcpd.sock"),
        new("debug", 'd', Arg.None, null, "Enable debug log messages"),
        new("exclude-interfaces", '\0', Arg.Required, "LIST", "Never make endpoints of the addresses of these interfaces (names or globs), e.g. --exclude-interfaces=docker*,wwan1"),
        new("interface-flags", '\0', Arg.Required, "LIST", "Endpoint flags per interface instead of --addr-flags, e.g. --interface-flags=wwan*:subflow+backup,eth1:signal"),
        new("interfaces", '\0', Arg.Required, "LIST", "Make endpoints only of the addresses of these interfaces (names or globs), e.g. --interfaces=eth0,wwan*"),
        new("load-plugins", '\0', Arg.Required, "PLUGINS", "Specify which plugins to load, e.g. --load-plugins=addr_adv,sspi"),
        new("log", 'l', Arg.Required, "DEST", "Log to DEST (stderr, syslog or journal), e.g. --log=journal"),
        new("notify-flags", '\0', Arg.Required, "FLAGS", "Address notification flags, e.g. --notify-flags=existing,skip_link_local,skip_loopback"),
        new("otlp", '\0', Arg.Required, "URL", "Export the daemon's metrics to this OpenTelemetry collector (OTLP over HTTP/protobuf), e.g. --otlp=http://127.0.0.1:4318"),
        new("otlp-instance", '\0', Arg.Required, "NAME", "The service.instance.id of the exported metrics (default HOST:PID)"),
        new("otlp-interval", '\0', Arg.Required, "SECONDS", "Seconds between OTLP exports (default 10; decimals allowed)"),
        new("path-manager", '\0', Arg.Required, "PLUGIN", "Set default path manager to PLUGIN, e.g. --path-manager=sspi, overriding plugin priorities"),
        new("plugin-dir", '\0', Arg.Required, "DIR", "Set plugin directory to DIR"),
        new("remove-endpoints-on-exit", '\0', Arg.None, null, "Remove the endpoints the daemon added, and restore the limits it raised, when it exits"),
        new("help", '?', Arg.None, null, "Give this help list"),
        new("usage", '\0', Arg.None, null, "Give a short usage message"),
        new("version", 'V', Arg.None, null, "Print program version"),
    ];

    /// <summary>Parses the arguments that follow <c>tributary mptcpd</c>.</summary>
    public static MptcpdParseResult Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var s = new Builder();
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                string body = a[2..];
                int eq = body.IndexOf('=', StringComparison.Ordinal);
                string name = eq >= 0 ? body[..eq] : body;
                string? value = eq >= 0 ? body[(eq + 1)..] : null;
                Option? o = Options.FirstOrDefault(x => x.Long == name);
                if (o is null)
                {
                    Option[] candidates = Options.Where(x => x.Long.StartsWith(name, StringComparison.Ordinal)).ToArray();
                    if (candidates.Length == 0 || name.Length == 0)
                        return UsageError($"unrecognized option '--{body}'");
                    if (candidates.Length > 1)
                        return UsageError($"option '--{name}' is ambiguous; possibilities:" + string.Concat(candidates.Select(c => $" '--{c.Long}'")));
                    o = candidates[0];
                }
                if (o.Arg == Arg.None && value is not null)
                    return UsageError($"option '--{o.Long}' doesn't allow an argument");
                if (o.Arg == Arg.Required && value is null)
                {
                    if (i + 1 >= args.Count)
                        return UsageError($"option '--{o.Long}' requires an argument");
                    value = args[++i];
                }
                if (Apply(o, value, s) is { } exit)
                    return exit;
                continue;
            }
            if (a.Length > 1 && a[0] == '-')
            {
                for (int k = 1; k < a.Length; k++)
                {
                    char c = a[k];
                    Option? o = Options.FirstOrDefault(x => x.Short == c && c != '\0');
                    if (o is null)
                        return UsageError($"invalid option -- '{c}'");
                    string? value = null;
                    if (o.Arg == Arg.Required)
                    {
                        if (k + 1 < a.Length)
                            value = a[(k + 1)..];
                        else if (i + 1 < args.Count)
                            value = args[++i];
                        else
                            return UsageError($"option requires an argument -- '{c}'");
                        k = a.Length;
                    }
                    if (Apply(o, value, s) is { } exit)
                        return exit;
                }
                continue;
            }
            positional.Add(a); // getopt permutes operands after the options
        }
        if (positional.Count > 0)
            return UsageError("Too many arguments");
        return new MptcpdParseResult(s.Build(), 0, "", "");
    }

    /// <summary>Applies one option; a result means "exit now" (help, version, or a bad value).</summary>
    private static MptcpdParseResult? Apply(Option o, string? value, Builder s)
    {
        switch (o.Long)
        {
            case "help":
                return new MptcpdParseResult(null, 0, Help(), "");
            case "usage":
                return new MptcpdParseResult(null, 0, Usage(), "");
            case "version":
                return new MptcpdParseResult(null, 0, Version + "\n", "");
            case "debug":
                s.Debug = true;
                return null;
            case "log":
                MptcpdLogTarget? target = ParseLog(value!);
                if (target is null)
                    return UsageError($"Unknown logging option: \"{value}\"");
                s.Log = target;
                return null;
            case "plugin-dir":
                if (value!.Length == 0)
                    return UsageError("Empty plugin directory command line option.");
                s.PluginDirectory = value;
                return null;
            case "path-manager":
                if (value!.Length == 0)
                    return UsageError("Empty default path manager plugin command line option.");
                s.PathManager = value.Length > 16 ? value[..16] : value; // GENL_NAMSIZ, as mptcpd truncates it
                return null;
            case "load-plugins":
                if (value!.Length == 0)
                    return UsageError("Empty load plugins commandline option.");
                s.LoadPlugins = SplitList(value);
                return null;
            case "addr-flags":
                s.AddressFlags = MptcpdFlags.ParseAddressFlags(value!, out string? aw);
                if (aw is not null)
                    s.Warnings.Add(aw);
                return null;
            case "notify-flags":
                s.NotifyFlags = MptcpdFlags.ParseNotifyFlags(value!, out string? nw);
                if (nw is not null)
                    s.Warnings.Add(nw);
                return null;
            case "config":
                if (value!.Length == 0)
                    return UsageError("Empty configuration file command line option.");
                s.ConfigFile = value;
                return null;
            case "interfaces":
                if (value!.Length == 0)
                    return UsageError("Empty interfaces command line option.");
                s.Interfaces = MptcpdInterfaceOptions.ParseInterfaceList(value, out string? ie);
                return s.Interfaces is null ? UsageError($"Invalid interfaces command line option \"{value}\": {ie}") : null;
            case "exclude-interfaces":
                if (value!.Length == 0)
                    return UsageError("Empty exclude interfaces command line option.");
                s.ExcludeInterfaces = MptcpdInterfaceOptions.ParseInterfaceList(value, out string? ee);
                return s.ExcludeInterfaces is null ? UsageError($"Invalid exclude interfaces command line option \"{value}\": {ee}") : null;
            case "interface-flags":
                if (value!.Length == 0)
                    return UsageError("Empty interface flags command line option.");
                s.InterfaceFlags = MptcpdInterfaceOptions.ParseInterfaceFlags(value, out string? fe);
                return s.InterfaceFlags is null ? UsageError($"Invalid interface flags command line option \"{value}\": {fe}") : null;
            case "remove-endpoints-on-exit":
                s.RemoveEndpointsOnExit = true;
                return null;
            case "otlp":
                if (value!.Length == 0)
                    return UsageError("Empty OTLP collector command line option.");
                s.Otlp = OtlpValues.MetricsUrl(value, out string? oe);
                return s.Otlp is null ? UsageError($"Invalid OTLP collector command line option \"{value}\": {oe}") : null;
            case "otlp-interval":
                if (value!.Length == 0)
                    return UsageError("Empty OTLP interval command line option.");
                if (!OtlpValues.TryParseInterval(value, out TimeSpan interval, out bool isNumber))
                    return UsageError($"Invalid OTLP interval command line option \"{value}\": {(isNumber ? OtlpValues.IntervalRequirement : "not a number of seconds")}");
                s.OtlpInterval = interval;
                return null;
            case "otlp-instance":
                if (!OtlpValues.IsValidInstance(value!))
                    return UsageError("Empty OTLP instance command line option.");
                s.OtlpInstance = value;
                return null;
            case "control-socket":
                if (value!.Trim().Length == 0)
                    return UsageError("Empty control socket command line option.");
                s.ControlSocket = value;
                return null;
            default:
                throw new InvalidOperationException(o.Long);
        }
    }

    /// <summary>"stderr", "syslog", "journal" or "null" (accepted though undocumented, as in mptcpd).</summary>
    public static MptcpdLogTarget? ParseLog(string value) => value switch
    {
        "stderr" => MptcpdLogTarget.Stderr,
        "syslog" => MptcpdLogTarget.Syslog,
        "journal" => MptcpdLogTarget.Journal,
        "null" => MptcpdLogTarget.Null,
        _ => null,
    };

    /// <summary>A comma list as strtok(",") splits it: empty items vanish, no trimming.</summary>
    public static IReadOnlyList<string> SplitList(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static MptcpdParseResult UsageError(string message) =>
        new(null, ExitUsage, "", $"{ProgramName}: {message}\nTry `{ProgramName} --help' or `{ProgramName} --usage' for more information.\n");

    /// <summary>argp's --help text.</summary>
    public static string Help()
    {
        const int docColumn = 29;
        const int width = 79;
        var sb = new StringBuilder();
        sb.Append("Usage: ").Append(ProgramName).Append(" [OPTION...]\n");
        sb.Append("Start the Multipath TCP daemon.\n\n");
        foreach (Option o in Options)
        {
            string head = o.Short != '\0' ? $"  -{o.Short}, --{o.Long}" : $"      --{o.Long}";
            if (o.ArgName is not null)
                head += "=" + o.ArgName;
            var line = new StringBuilder(head);
            if (line.Length >= docColumn)
            {
                sb.Append(line).Append('\n');
                line.Clear();
            }
            line.Append(' ', docColumn - line.Length);
            foreach (string word in o.Doc.Split(' '))
            {
                if (line.Length > docColumn && line.Length + 1 + word.Length > width)
                {
                    sb.Append(line).Append('\n');
                    line.Clear().Append(' ', docColumn);
                }
                else if (line.Length > docColumn)
                {
                    line.Append(' ');
                }
                line.Append(word);
            }
            sb.Append(line).Append('\n');
        }
        sb.Append("\nMandatory or optional arguments to long options are also mandatory or optional\n");
        sb.Append("for any corresponding short options.\n\n");
        sb.Append("Supported Linux kernel: upstream\n");
        return sb.ToString();
    }

    /// <summary>argp's --usage text: short flags, short options with arguments, then every long option, wrapped at 79 columns.</summary>
    public static string Usage()
    {
        var tokens = new List<string>
        {
            "[-" + string.Concat(Options.Where(o => o.Short != '\0' && o.Arg == Arg.None).Select(o => o.Short)) + "]",
        };
        tokens.AddRange(Options.Where(o => o.Short != '\0' && o.Arg == Arg.Required).Select(o => $"[-{o.Short} {o.ArgName}]"));
        tokens.AddRange(Options.Select(o => o.ArgName is null ? $"[--{o.Long}]" : $"[--{o.Long}={o.ArgName}]"));
        var sb = new StringBuilder();
        var line = new StringBuilder("Usage: " + ProgramName);
        foreach (string t in tokens)
        {
            if (line.Length + 1 + t.Length > 79)
            {
                sb.Append(line).Append('\n');
                line.Clear().Append(' ', 12);
                line.Append(t);
            }
            else
            {
                line.Append(' ').Append(t);
            }
        }
        sb.Append(line).Append('\n');
        return sb.ToString();
    }

    private sealed class Builder
    {
        public bool Debug;
        public MptcpdLogTarget? Log;
        public string? PluginDirectory;
        public string? PathManager;
        public MptcpEndpointFlags? AddressFlags;
        public Links.NotifyFlags? NotifyFlags;
        public IReadOnlyList<string>? LoadPlugins;
        public IReadOnlyList<InterfacePattern>? Interfaces;
        public IReadOnlyList<InterfacePattern>? ExcludeInterfaces;
        public IReadOnlyList<InterfaceEndpointFlags>? InterfaceFlags;
        public string? ConfigFile;
        public bool? RemoveEndpointsOnExit;
        public Uri? Otlp;
        public TimeSpan? OtlpInterval;
        public string? OtlpInstance;
        public string? ControlSocket;
        public List<string> Warnings = [];

        public MptcpdSettings Build() => new()
        {
            Debug = Debug,
            Log = Log,
            PluginDirectory = PluginDirectory,
            PathManager = PathManager,
            AddressFlags = AddressFlags,
            NotifyFlags = NotifyFlags,
            LoadPlugins = LoadPlugins,
            Interfaces = Interfaces,
            ExcludeInterfaces = ExcludeInterfaces,
            InterfaceFlags = InterfaceFlags,
            ConfigFile = ConfigFile,
            RemoveEndpointsOnExit = RemoveEndpointsOnExit,
            Otlp = Otlp,
            OtlpInterval = OtlpInterval,
            OtlpInstance = OtlpInstance,
            ControlSocket = ControlSocket,
            Warnings = Warnings,
        };
    }
}
