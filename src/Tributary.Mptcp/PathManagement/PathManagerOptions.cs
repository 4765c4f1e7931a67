using Microsoft.Extensions.Logging;
using Tributary.Links;

namespace Tributary.Mptcp;

/// <summary>Settings of a <see cref="PathManager"/> (the daemon fills them from its command line and config file).</summary>
public sealed class PathManagerOptions
{
    /// <summary>The plugin directory used when none is configured; a missing default directory is not an error.</summary>
    public const string DefaultPluginDirectory = "/usr/lib/tributary/plugins";

    /// <summary>Manage this named network namespace instead of the process's own (tests, one daemon per namespace).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>mptcpd's notify-flags: which addresses the network monitor reports.</summary>
    public NotifyFlags NotifyFlags { get; init; }

    /// <summary>mptcpd's addr-flags: the flags of the endpoints addr_adv creates.</summary>
    public MptcpEndpointFlags AddressFlags { get; init; }

    /// <summary>
    /// Extension (mptcpd#292): the interfaces whose addresses may become endpoints (addr_adv) or carry subflows and
    /// announcements (sspi), by name or glob; null means every interface. See <see cref="PathManager.UsesInterface"/>.
    /// </summary>
    public IReadOnlyList<InterfacePattern>? Interfaces { get; init; }

    /// <summary>Extension: interfaces whose addresses never become endpoints or paths, whatever <see cref="Interfaces"/> says.</summary>
    public IReadOnlyList<InterfacePattern> ExcludeInterfaces { get; init; } = [];

    /// <summary>
    /// Extension (mptcpd#280): endpoint flags per interface, used instead of <see cref="AddressFlags"/> for the
    /// addresses of a matching interface; the first matching entry wins.
    /// </summary>
    public IReadOnlyList<InterfaceEndpointFlags> InterfaceFlags { get; init; } = [];

    /// <summary>Where plugin assemblies are loaded from; null means <see cref="DefaultPluginDirectory"/>.</summary>
    public string? PluginDirectory { get; init; }

    /// <summary>mptcpd's path-manager: the default plugin's name (unknown names fall back to priority order).</summary>
    public string? DefaultPlugin { get; init; }

    /// <summary>mptcpd's load-plugins: plugin names to load, in order (built-in names or assembly file names without .dll); null loads all.</summary>
    public IReadOnlyList<string>? LoadPlugins { get; init; }

    /// <summary>Remove the endpoints addr_adv added, and restore the limits it raised, when the path manager stops.</summary>
    public bool RemoveEndpointsOnExit { get; init; }

    /// <summary>The network monitor's receive buffer (bytes); 0 keeps the monitor's default.</summary>
    public int MonitorReceiveBufferSize { get; init; }

    /// <summary>
    /// The MPTCP event socket's receive buffer (bytes); 0 keeps <see cref="MptcpEventListener.DefaultReceiveBufferSize"/>.
    /// A small one makes the socket overflow under bursts of connections; the path manager then
    /// re-reads the connections from the kernel (<see cref="PathManager.Resyncs"/>).
    /// </summary>
    public int EventReceiveBufferSize { get; init; }

    public ILogger? Logger { get; init; }

    /// <summary>Plugins available without an assembly; null means the standard built-ins (addr_adv, sspi).</summary>
    internal IReadOnlyList<Func<MptcpPlugin>>? BuiltInPlugins { get; init; }
}
