using Tributary.Flows.Telemetry;

namespace Tributary.Cli.Telemetry;

/// <summary>
/// A command's metrics export while it runs: the instruments its contexts and captures join, and the exporter that
/// sends them. Disposing it exports the totals once more (the last export, which a short run makes alone) and ends both.
/// </summary>
internal sealed class FlowTelemetry(FlowMetrics metrics, IDisposable exporter) : IDisposable
{
    public FlowMetrics Metrics { get; } = metrics;

    public void Dispose()
    {
        exporter.Dispose(); // the last collection reads the instruments: before they end
        Metrics.Dispose();
    }
}
