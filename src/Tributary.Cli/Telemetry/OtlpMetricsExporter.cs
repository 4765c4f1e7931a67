using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Tributary.Telemetry;

namespace Tributary.Cli.Telemetry;

/// <summary>
/// The OpenTelemetry SDK at work: a meter provider listening to the export's meters (the flow commands'
/// <c>Tributary.Flows</c>, the mptcpd daemon's <c>Tributary.Mptcp</c>), a periodic reader
/// with cumulative temporality on its own thread, and the OTLP exporter over HTTP/protobuf. Exports run on the reader's
/// thread, never on a monitoring or path-management thread, so a slow or absent collector costs them nothing; the HTTP client is
/// Tributary's, to tell the user once per kind of failure (<see cref="OtlpFailureReporter"/>) instead of the SDK's
/// silent event source.
/// </summary>
internal static class OtlpMetricsExporter
{
    /// <summary>How long one export may take (the SDK's default is 10 s): also what a stop waits at most for the last one.</summary>
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts exporting to <see cref="OtlpExport.MetricsUrl"/> (the full URL, <c>…/v1/metrics</c>) every <see cref="OtlpExport.Interval"/>.</summary>
    public static IDisposable Start(OtlpExport export, TextWriter error)
    {
        Uri metricsUrl = export.MetricsUrl;
        var reporter = new OtlpFailureReporter(metricsUrl, ExportTimeout, export.Activity, error) { InnerHandler = new SocketsHttpHandler() };
        try
        {
            MeterProvider provider = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r
                    .AddService("tributary", serviceVersion: typeof(OtlpMetricsExporter).Assembly.GetName().Version?.ToString(),
                        autoGenerateServiceInstanceId: false, serviceInstanceId: export.Instance)
                    .AddAttributes([new("host.name", Environment.MachineName), new("process.pid", (long)Environment.ProcessId), .. export.ResourceAttributes]))
                .AddMeter([.. export.Meters])
                .AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Endpoint = metricsUrl; // set in code, the URL is used as it is (no signal path appended)
                    exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                    exporter.TimeoutMilliseconds = (int)ExportTimeout.TotalMilliseconds;
                    exporter.HttpClientFactory = () => new HttpClient(reporter, disposeHandler: false) { Timeout = ExportTimeout };
                    reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)export.Interval.TotalMilliseconds;
                    reader.PeriodicExportingMetricReaderOptions.ExportTimeoutMilliseconds = (int)ExportTimeout.TotalMilliseconds;
                })
                .Build();
            return new Export(provider, reporter);
        }
        catch
        {
            reporter.Dispose();
            throw;
        }
    }

    /// <summary>The running export; disposing it makes the last export (the reader's shutdown collects once more) and waits for it.</summary>
    private sealed class Export(MeterProvider provider, OtlpFailureReporter reporter) : IDisposable
    {
        public void Dispose()
        {
            provider.Dispose();
            reporter.Dispose();
        }
    }
}
