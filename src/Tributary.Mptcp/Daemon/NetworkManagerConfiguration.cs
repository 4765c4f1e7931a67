using System.Globalization;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// What NetworkManager's configuration says about MPTCP endpoints (NetworkManager 1.40 and later,
/// reference/mptcpd/USERS.md E): the global default <c>connection.mptcp-flags</c> of its <c>[connection]</c>
/// sections, per-device defaults (<c>[connection-NAME]</c> sections) and connection profiles (keyfiles whose
/// <c>[connection]</c> group sets <c>mptcp-flags</c>). Files are read in NetworkManager's order, a later value
/// overriding an earlier one: the system directory's snippets, then the run directory's (a snippet of the same
/// name in a later directory shadows an earlier one), the main file, the configuration directory's, the internal
/// file. Values are integers as NetworkManager reads them (decimal, 0x hexadecimal, 0 octal); one that is not an
/// integer is ignored, as NetworkManager ignores it.
/// </summary>
internal sealed class NetworkManagerConfiguration
{
    /// <summary>"disabled": no endpoints on the device.</summary>
    public const long Disabled = 0x1;

    /// <summary>What NetworkManager uses when nothing is set: "enabled,subflow".</summary>
    public const long Fallback = 0x22;

    /// <summary>The global default (the last <c>connection.mptcp-flags</c> of a <c>[connection]</c> section); null when unset.</summary>
    public long? Flags { get; private set; }

    /// <summary>The file that set <see cref="Flags"/>.</summary>
    public string? FlagsFile { get; private set; }

    /// <summary>Per-device defaults and profiles that set flags of their own: "FILE [SECTION]" and the value.</summary>
    public IReadOnlyList<(string Where, long Flags)> Overrides => _overrides;

    private readonly List<(string Where, long Flags)> _overrides = [];

    /// <summary>
    /// The configuration files NetworkManager reads, in its order, those that exist: <paramref name="systemDirectory"/>'s
    /// and <paramref name="runDirectory"/>'s <c>*.conf</c> not shadowed by a later directory's file of the same name,
    /// <paramref name="mainFile"/>, <paramref name="configDirectory"/>'s <c>*.conf</c>, <paramref name="internFile"/>.
    /// </summary>
    public static IReadOnlyList<string> Files(string mainFile, string configDirectory, string systemDirectory, string runDirectory, string internFile)
    {
        string[] etc = Snippets(configDirectory);
        string[] run = Snippets(runDirectory);
        HashSet<string> inEtc = Names(etc), inRun = Names(run);
        var files = new List<string>();
        files.AddRange(Snippets(systemDirectory).Where(f => !inEtc.Contains(Path.GetFileName(f)) && !inRun.Contains(Path.GetFileName(f))));
        files.AddRange(run.Where(f => !inEtc.Contains(Path.GetFileName(f))));
        if (File.Exists(mainFile))
            files.Add(mainFile);
        files.AddRange(etc);
        if (File.Exists(internFile))
            files.Add(internFile);
        return files;
    }

    private static HashSet<string> Names(string[] files) => new(files.Select(Path.GetFileName)!, StringComparer.Ordinal);

    /// <summary>The <c>*.conf</c> files of <paramref name="directory"/> in ordinal order of their names; none when it cannot be read.</summary>
    private static string[] Snippets(string directory)
    {
        try
        {
            string[] files = Directory.GetFiles(directory, "*.conf");
            Array.Sort(files, StringComparer.Ordinal);
            return files;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Reads the configuration <paramref name="files"/> in order, then the connection profiles (keyfiles) of <paramref name="profileDirectories"/>; unreadable files are skipped.</summary>
    public static NetworkManagerConfiguration Read(IEnumerable<string> files, IEnumerable<string> profileDirectories)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(profileDirectories);
        var c = new NetworkManagerConfiguration();
        var devices = new Dictionary<string, (string Where, long Flags)>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            foreach ((string section, string key, string value) in Entries(file))
            {
                if (key != "connection.mptcp-flags" || Integer(value) is not { } flags)
                    continue;
                if (section == "connection")
                {
                    c.Flags = flags;
                    c.FlagsFile = file;
                }
                else if (section.StartsWith("connection", StringComparison.Ordinal))
                {
                    devices[section] = ($"{file} [{section}]", flags); // a later file's section of the same name overrides
                }
            }
        }
        c._overrides.AddRange(devices.Values);
        foreach (string directory in profileDirectories)
        {
            string[] profiles;
            try
            {
                profiles = Directory.GetFiles(directory, "*.nmconnection");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            Array.Sort(profiles, StringComparer.Ordinal);
            foreach (string profile in profiles)
            {
                foreach ((string section, string key, string value) in Entries(profile))
                {
                    if (section == "connection" && key == "mptcp-flags" && Integer(value) is { } flags and not 0)
                        c._overrides.Add(($"{profile} [connection]", flags)); // 0: the profile follows the defaults
                }
            }
        }
        return c;
    }

    /// <summary>
    /// Whether NetworkManager adds endpoints under <paramref name="flags"/> (0: <see cref="Fallback"/>): unless
    /// "disabled" is set. (NetworkManager also leaves MPTCP alone while net.mptcp.enabled is 0 without
    /// "also-without-sysctl"; the daemon does not run then, as mptcpd does not.)
    /// </summary>
    public static bool Enables(long flags) => ((flags == 0 ? Fallback : flags) & Disabled) == 0;

    /// <summary>Where an enabling setting is, for a message: the global default or the first override that enables; null when nothing does.</summary>
    public string? Enabling()
    {
        if (Enables(Flags ?? 0))
        {
            return Flags is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"connection.mptcp-flags=0x{f:x} in {FlagsFile}")
                : "connection.mptcp-flags not set: its default is enabled,subflow";
        }
        foreach ((string where, long flags) in _overrides)
        {
            if (Enables(flags))
                return string.Create(CultureInfo.InvariantCulture, $"mptcp-flags=0x{flags:x} in {where}");
        }
        return null;
    }

    /// <summary>
    /// The key-file entries of <paramref name="file"/> (GLib key-file syntax: <c>[section]</c>, <c>key=value</c>,
    /// <c>#</c> comments); nothing when it cannot be read.
    /// </summary>
    private static IEnumerable<(string Section, string Key, string Value)> Entries(string file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        string section = "";
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1].Trim();
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                yield return (section, line[..eq].Trim(), line[(eq + 1)..].Trim());
        }
    }

    /// <summary>An integer as NetworkManager parses one (base 0: 0x hexadecimal, a leading 0 octal, else decimal); null otherwise.</summary>
    internal static long? Integer(string value)
    {
        if (value.Length == 0)
            return null;
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex) && value.Length > 2 ? hex : null;
        if (value.Length > 1 && value[0] == '0')
        {
            long octal = 0;
            foreach (char ch in value.AsSpan(1))
            {
                if (ch is < '0' or > '7' || octal > (long.MaxValue >> 3))
                    return null;
                octal = (octal << 3) + (ch - '0');
            }
            return octal;
        }
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
    }
}
