namespace Tributary.Telemetry;

/// <summary>
/// What an OTLP metrics export is asked to do: send the meters named <see cref="Meters"/> to <see cref="MetricsUrl"/>
/// every <see cref="Interval"/>, under the resource <c>service.name=tributary</c>, <c>service.instance.id</c>
/// <see cref="Instance"/> and <see cref="ResourceAttributes"/>. <see cref="Activity"/> names what goes on when an export
/// fails ("monitoring", "path management"), for the one stderr line per kind of failure.
/// </summary>
public sealed record OtlpExport(Uri MetricsUrl, TimeSpan Interval, string Instance, IReadOnlyList<string> Meters, string Activity)
{
    /// <summary>Resource attributes beyond the service's, host's and process's (e.g. the network namespace).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> ResourceAttributes { get; init; } = [];
}
