using Microsoft.Extensions.Logging;
using Tributary.Links;

namespace Tributary.Cli.Commands.Links;

/// <summary>The parsed options of <c>tributary links</c>.</summary>
internal sealed record LinksSettings(NotifyFlags Flags, bool Loopback, bool Json, bool Once, int? ReceiveBuffer,
    string? NetworkNamespace, LogLevel LogLevel);
