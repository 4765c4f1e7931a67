using Microsoft.Extensions.Logging;

namespace Tributary.Links;

/// <summary>Optional settings of a <see cref="NetworkMonitor"/>.</summary>
public sealed class NetworkMonitorOptions
{
    /// <summary>Monitor this named network namespace (as in <c>ip netns list</c>, or a path) instead of the process's own.</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>
    /// The event socket's receive buffer in bytes. Default 8 MiB (forced past rmem_max as root), so
    /// bursts rarely overflow; a tiny value forces ENOBUFS, for testing the resync.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Where warnings (malformed messages, resyncs) and debug traces go.</summary>
    public ILogger? Logger { get; init; }
}
