using Tributary.Links;

namespace Tributary.Mptcp.Daemon;

/// <summary>Where the daemon logs (mptcpd's <c>--log</c>).</summary>
public enum MptcpdLogTarget
{
    Stderr,
    Syslog,
    Journal,
    Null,
}

/// <summary>
/// The daemon's settings from one source (command line or config file). Null means "not set", so
/// that the sources merge per field (INVENTORY f.3): command line, then config file, then defaults.
/// As in mptcpd, flags that parse to 0 count as not set.
/// </summary>
public sealed record MptcpdSettings
{
    public bool Debug { get; init; }

    public MptcpdLogTarget? Log { get; init; }

    public string? PluginDirectory { get; init; }

    public string? PathManager { get; init; }

    public MptcpEndpointFlags? AddressFlags { get; init; }

    public NotifyFlags? NotifyFlags { get; init; }

    public IReadOnlyList<string>? LoadPlugins { get; init; }

    /// <summary>Extension: the interfaces whose addresses may become endpoints (names or globs); null: all.</summary>
    public IReadOnlyList<InterfacePattern>? Interfaces { get; init; }

    /// <summary>Extension: the interfaces whose addresses never become endpoints.</summary>
    public IReadOnlyList<InterfacePattern>? ExcludeInterfaces { get; init; }

    /// <summary>Extension: endpoint flags per interface, instead of <see cref="AddressFlags"/>.</summary>
    public IReadOnlyList<InterfaceEndpointFlags>? InterfaceFlags { get; init; }

    /// <summary>Extension: the config file (default <see cref="MptcpdCommandLine.DefaultConfigFile"/>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Extension: remove the endpoints addr_adv added (and restore the limits) on exit.</summary>
    public bool? RemoveEndpointsOnExit { get; init; }

    /// <summary>Extension: the OTLP metrics URL (…/v1/metrics) the daemon exports to; null: no export.</summary>
    public Uri? Otlp { get; init; }

    /// <summary>Extension: seconds between OTLP exports (default <see cref="Tributary.Telemetry.OtlpValues.DefaultInterval"/>).</summary>
    public TimeSpan? OtlpInterval { get; init; }

    /// <summary>Extension: the exported metrics' service.instance.id (default HOST:PID).</summary>
    public string? OtlpInstance { get; init; }

    /// <summary>Extension: the path of the control socket (<see cref="ControlServer"/>); null: none.</summary>
    public string? ControlSocket { get; init; }

    /// <summary>Warnings found while parsing (unknown flag tokens), logged once the log target is known.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Field-wise merge: values set here win over <paramref name="fallback"/>'s.</summary>
    public MptcpdSettings Over(MptcpdSettings fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return new MptcpdSettings
        {
            Debug = Debug || fallback.Debug,
            Log = Log ?? fallback.Log,
            PluginDirectory = PluginDirectory ?? fallback.PluginDirectory,
            PathManager = PathManager ?? fallback.PathManager,
            AddressFlags = AddressFlags is { } a && a != 0 ? a : fallback.AddressFlags,
            NotifyFlags = NotifyFlags is { } n && n != 0 ? n : fallback.NotifyFlags,
            LoadPlugins = LoadPlugins ?? fallback.LoadPlugins,
            Interfaces = Interfaces ?? fallback.Interfaces,
            ExcludeInterfaces = ExcludeInterfaces ?? fallback.ExcludeInterfaces,
            InterfaceFlags = InterfaceFlags ?? fallback.InterfaceFlags,
            ConfigFile = ConfigFile ?? fallback.ConfigFile,
            RemoveEndpointsOnExit = RemoveEndpointsOnExit ?? fallback.RemoveEndpointsOnExit,
            Otlp = Otlp ?? fallback.Otlp,
            OtlpInterval = OtlpInterval ?? fallback.OtlpInterval,
            OtlpInstance = OtlpInstance ?? fallback.OtlpInstance,
            ControlSocket = ControlSocket ?? fallback.ControlSocket,
            Warnings = [.. Warnings, .. fallback.Warnings],
        };
    }
}
