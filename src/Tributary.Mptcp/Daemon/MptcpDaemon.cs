using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Tributary.Links;
using Tributary.Mptcp.Telemetry;
using Tributary.Netlink;
using Tributary.Telemetry;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// <c>tributary mptcpd</c>: mptcpd 0.12's daemon (DESIGN.md "Contracts"). Command line and config file as
/// mptcpd's (argp messages, exit 64 for usage errors), then the path manager in the process's network
/// namespace until SIGTERM or SIGINT (exit 0). Fatal start-up errors (world-writable config or plugin
/// directory, MPTCP disabled, no plugin registered) exit 1. Tells systemd READY=1 once it serves when
/// NOTIFY_SOCKET is set. With <c>--otlp</c> (or the <c>otlp</c> key), the path manager's metrics
/// (<see cref="PathManagerMetrics"/>) are exported by the exporter the host passes in (the CLI's OpenTelemetry SDK, loaded
/// only then), every interval and once more after SIGTERM or SIGINT; an export that fails never stops path management.
/// </summary>
public static class MptcpDaemon
{
    public const int ExitFailure = 1;

    /// <summary>Resource attribute of the exported metrics: the inode of the daemon's network namespace.</summary>
    public const string NetworkNamespaceAttribute = "tributary.netns.inode";

    /// <summary>How long the daemon waits for the mptcp_pm family before it warns (mptcpd's timeout).</summary>
    private static readonly TimeSpan FamilyWarningDelay = TimeSpan.FromSeconds(10);

    /// <summary>Runs the daemon until <paramref name="stop"/> is cancelled, without metrics export; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken stop) =>
        Run(args, stdout, stderr, stop, null);

    /// <summary>
    /// Runs the daemon until <paramref name="stop"/> is cancelled; returns the exit code. <paramref name="startExport"/>
    /// starts an OTLP metrics export (its disposal makes the last export and waits for it); it is called only when
    /// <c>otlp</c> is set, and null means the host cannot export (the setting is then reported and ignored).
    /// </summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken stop,
        Func<OtlpExport, TextWriter, IDisposable>? startExport)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        MptcpdParseResult parsed = MptcpdCommandLine.Parse(args);
        if (parsed.ShouldExit)
        {
            stdout.Write(parsed.StandardOutput);
            stderr.Write(parsed.StandardError);
            stdout.Flush();
            stderr.Flush();
            return parsed.ExitCode;
        }
        MptcpdSettings cli = parsed.Settings!;
        MptcpdSettings? file;
        using (var early = new MptcpdLogger(cli.Log ?? MptcpdLogTarget.Stderr, cli.Debug, stderr))
        {
            if (!TryReadConfig(cli.ConfigFile, early, out file))
                return ExitFailure;
        }
        MptcpdSettings s = cli.Over(file ?? new MptcpdSettings());
        using var log = new MptcpdLogger(s.Log ?? MptcpdLogTarget.Stderr, s.Debug, stderr);
        foreach (string warning in s.Warnings)
            log.LogWarning("{Warning}", warning);
        string pluginDir = s.PluginDirectory ?? PathManagerOptions.DefaultPluginDirectory;
        log.LogDebug("path manager plugin directory: {Dir}", pluginDir);
        if (s.PathManager is not null)
            log.LogDebug("default path manager plugin: {Name}", s.PathManager);
        if (s.AddressFlags is { } af and not 0)
            log.LogDebug("address flags: {Flags}", MptcpdFlags.Format(af));
        if (s.NotifyFlags is { } nf and not 0)
            log.LogDebug("notify flags: {Flags}", MptcpdFlags.Format(nf));
        if (s.LoadPlugins is not null)
            log.LogDebug("plugins to load: {Plugins}", string.Join(',', s.LoadPlugins));
        if (s.Interfaces is not null)
            log.LogDebug("interfaces: {Interfaces}", string.Join(',', s.Interfaces));
        if (s.ExcludeInterfaces is not null)
            log.LogDebug("excluded interfaces: {Interfaces}", string.Join(',', s.ExcludeInterfaces));
        if (s.InterfaceFlags is not null)
            log.LogDebug("interface flags: {Flags}", string.Join(',', s.InterfaceFlags));
        if (s.Otlp is not null)
            log.LogDebug("OTLP metrics export: {Url}", s.Otlp);
        else if (s.OtlpInterval is not null || s.OtlpInstance is not null)
            log.LogWarning("otlp-interval and otlp-instance have no effect without otlp.");

        var options = new PathManagerOptions
        {
            NotifyFlags = s.NotifyFlags ?? NotifyFlags.None,
            AddressFlags = s.AddressFlags ?? MptcpEndpointFlags.None,
            PluginDirectory = s.PluginDirectory,
            DefaultPlugin = s.PathManager,
            LoadPlugins = s.LoadPlugins,
            Interfaces = s.Interfaces,
            ExcludeInterfaces = s.ExcludeInterfaces ?? [],
            InterfaceFlags = s.InterfaceFlags ?? [],
            RemoveEndpointsOnExit = s.RemoveEndpointsOnExit ?? false,
            Logger = log,
        };
        PathManager? created;
        try
        {
            // mptcpd waits for the family (warning after 10 s) rather than exiting (INVENTORY b.1 step 2).
            created = PathManager.Create(options, FamilyWarningDelay, stop);
        }
        catch (PathManagerException ex)
        {
            log.LogError("{Message}", ex.Message);
            return ExitFailure;
        }
        if (created is not { } pm)
        {
            log.LogInformation("Terminating {Program}", MptcpdCommandLine.ProgramName);
            return 0; // stopped while waiting for the family
        }
        using (pm)
        {
            try
            {
                pm.Start();
            }
            catch (Exception ex) when (ex is PathManagerException or NetlinkException)
            {
                log.LogError("{Message}", ex.Message);
                return ExitFailure;
            }
            log.LogDebug("\"mptcp_pm\" generic netlink family appeared");
            NetworkManagerCheck.Run(pm.RegisteredPlugins, log);
            ControlServer? control;
            try
            {
                control = s.ControlSocket is null ? null : ControlServer.Start(s.ControlSocket, pm, log);
            }
            catch (PathManagerException ex)
            {
                log.LogError("{Message}", ex.Message);
                return ExitFailure;
            }
            using var controlServer = control; // stops serving before the plugins exit
            if (control is not null)
                log.LogInformation("Serving the control socket {Path}", s.ControlSocket);
            using var metrics = s.Otlp is null ? null : new PathManagerMetrics(pm);
            IDisposable? export = metrics is null ? null : StartExport(s, startExport, stderr, log);
            SystemdNotifier.Notify(string.Create(CultureInfo.InvariantCulture,
                $"READY=1\nSTATUS=Managing MPTCP paths with {pm.DefaultPluginName}\nMAINPID={Environment.ProcessId}"));
            stop.WaitHandle.WaitOne();
            log.LogInformation("Terminating {Program}", MptcpdCommandLine.ProgramName);
            SystemdNotifier.Notify("STOPPING=1");
            export?.Dispose(); // the last export, of the values at the stop: before the instruments end and the plugins exit
        }
        return 0;
    }

    /// <summary>Starts the OTLP export of <see cref="PathManagerMetrics.MeterName"/>; null (logged) when it cannot start.</summary>
    private static IDisposable? StartExport(MptcpdSettings s, Func<OtlpExport, TextWriter, IDisposable>? startExport, TextWriter stderr, ILogger log)
    {
        if (startExport is null)
        {
            log.LogWarning("OTLP metrics export is not available here; otlp ignored.");
            return null;
        }
        var export = new OtlpExport(s.Otlp!, s.OtlpInterval ?? OtlpValues.DefaultInterval, s.OtlpInstance ?? OtlpValues.DefaultInstance(),
            [PathManagerMetrics.MeterName], "path management")
        {
            ResourceAttributes = NetworkNamespaceAttributes(),
        };
        try
        {
            IDisposable started = startExport(export, stderr);
            log.LogInformation("Exporting metrics to {Url} every {Interval} s", export.MetricsUrl, export.Interval.TotalSeconds);
            return started;
        }
#pragma warning disable CA1031 // metrics are an extra: path management goes on without them
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.LogError("Unable to start the OTLP metrics export: {Error}", ex.Message);
            return null;
        }
    }

    /// <summary>
    /// The daemon's network namespace as a resource attribute: its inode (what <c>ip netns identify</c> compares), read
    /// from /proc/self/ns/net; none when it cannot be read.
    /// </summary>
    private static KeyValuePair<string, object>[] NetworkNamespaceAttributes()
    {
        try
        {
            string? target = new FileInfo("/proc/self/ns/net").LinkTarget; // "net:[4026531840]"
            if (target is not null && target.StartsWith("net:[", StringComparison.Ordinal) && target.EndsWith(']')
                && long.TryParse(target.AsSpan(5, target.Length - 6), NumberStyles.None, CultureInfo.InvariantCulture, out long inode))
            {
                return [new(NetworkNamespaceAttribute, inode)];
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return [];
    }

    /// <summary>
    /// As the command-line entry point: SIGTERM and SIGINT stop the daemon with exit 0. A SIGINT that
    /// the parent left ignored (shell background jobs) is restored first, or Ctrl-C would never reach
    /// the daemon (SUMMARY pitfall 7).
    /// </summary>
    public static int RunWithSignals(IReadOnlyList<string> args) => RunWithSignals(args, null);

    /// <summary>As <see cref="RunWithSignals(IReadOnlyList{string})"/>, with the host's OTLP exporter (see <see cref="Run(IReadOnlyList{string}, TextWriter, TextWriter, CancellationToken, Func{OtlpExport, TextWriter, IDisposable}?)"/>).</summary>
    public static int RunWithSignals(IReadOnlyList<string> args, Func<OtlpExport, TextWriter, IDisposable>? startExport)
    {
        using var cts = new CancellationTokenSource();
        if (!OperatingSystem.IsWindows() && Interop.Libc.signal(Interop.Libc.SIGINT, Interop.Libc.SIG_DFL) is var previous
            && previous != Interop.Libc.SIG_IGN && previous != Interop.Libc.SIG_DFL && previous != -1)
        {
            Interop.Libc.signal(Interop.Libc.SIGINT, previous); // the runtime's own handler: keep it
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return Run(args, Console.Out, Console.Error, cts.Token, startExport);

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            cts.Cancel();
        }
    }

    /// <summary>
    /// Reads the config file (mptcpd's rules: a world-writable file is fatal, a missing default file is
    /// fine, an unparsable one is ignored). An explicitly given file that does not exist is fatal.
    /// </summary>
    private static bool TryReadConfig(string? explicitPath, ILogger log, out MptcpdSettings? settings)
    {
        settings = null;
        string path = explicitPath ?? MptcpdCommandLine.DefaultConfigFile;
        if (!File.Exists(path))
        {
            if (explicitPath is not null)
            {
                log.LogError("Unable to open configuration file \"{Path}\": {Reason}", path,
                    Directory.Exists(path) ? "Is a directory" : "No such file or directory");
                return false;
            }
            log.LogDebug("No configuration file {Path}", path);
            return true;
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.OtherWrite) != 0)
        {
            log.LogError("\"{Path}\" should be a file that is not world writable.", path);
            return false;
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.LogError("Unable to read configuration file \"{Path}\": {Error}", path, ex.Message);
            return false;
        }
        settings = MptcpdConfigFile.Parse(text, out string? error);
        if (settings is null)
            log.LogDebug("Unable to load mptcpd settings from file '{Path}' ({Error})", path, error);
        return true;
    }
}
