using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using Tributary.Flows.Telemetry;

namespace Tributary.Cli.Telemetry;

/// <summary>
/// <c>--otlp ENDPOINT [--otlp-interval SECONDS] [--otlp-instance ID]</c> of the long-running flow commands: their
/// counters (<see cref="FlowMetrics"/>) exported to an OpenTelemetry collector over OTLP/HTTP with protobuf bodies.
/// The OpenTelemetry SDK is loaded only when <c>--otlp</c> is given (<see cref="OtlpMetricsExporter"/> is reached
/// through a method that is compiled only then), so the start-up of every other run is unchanged.
/// </summary>
internal sealed class OtlpOptions
{
    /// <summary>The signal path of OTLP/HTTP metrics, appended to a base endpoint (OTLP exporter specification).</summary>
    public const string MetricsPath = "v1/metrics";

    /// <summary>Export interval when <c>--otlp-interval</c> is not given (the OpenTelemetry SDK's default is 60 s).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private OtlpOptions()
    {
    }

    public Option<Uri?> Endpoint { get; } = new("--otlp")
    {
        Description = "Export the monitor's counters as OpenTelemetry metrics to this collector (OTLP over HTTP/protobuf; a base URL such as http://127.0.0.1:4318 gets /v1/metrics appended).",
        HelpName = "ENDPOINT",
        CustomParser = ParseEndpoint,
    };

    public Option<TimeSpan> Interval { get; } = new("--otlp-interval")
    {
        Description = "Seconds between OTLP exports (default 10; decimals allowed); the totals are exported once more at the end.",
        HelpName = "SECONDS",
        CustomParser = NumberOption.Seconds(TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1), "must be between 0.1 and 86400 seconds"),
    };

    public Option<string?> Instance { get; } = new("--otlp-instance")
    {
        Description = "The service.instance.id resource attribute of the exported metrics (default HOST:PID).",
        HelpName = "ID",
    };

    /// <summary>Adds the options to <paramref name="cmd"/>, with the rule that the others need <c>--otlp</c>.</summary>
    public static OtlpOptions AddTo(Command cmd)
    {
        var o = new OtlpOptions();
        cmd.Options.Add(o.Endpoint);
        cmd.Options.Add(o.Interval);
        cmd.Options.Add(o.Instance);
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(o.Endpoint) is not null)
                return;
            if (r.GetResult(o.Interval) is not null)
                r.AddError("--otlp-interval needs --otlp ENDPOINT");
            if (r.GetResult(o.Instance) is not null)
                r.AddError("--otlp-instance needs --otlp ENDPOINT");
        });
        o.Instance.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && string.IsNullOrWhiteSpace(r.Tokens[0].Value))
                r.AddError("--otlp-instance must not be empty");
        });
        return o;
    }

    /// <summary>
    /// Starts the export when <c>--otlp</c> was given: instruments for what <paramref name="interfaceName"/> (live) or
    /// <paramref name="captureFile"/> monitors, exported every interval and once more when the result is disposed.
    /// Null without <c>--otlp</c>.
    /// </summary>
    public FlowTelemetry? Start(ParseResult parse, string? interfaceName, string? captureFile, TextWriter error)
    {
        if (parse.GetValue(Endpoint) is not Uri endpoint)
            return null;
        TimeSpan interval = parse.GetResult(Interval) is null ? DefaultInterval : parse.GetValue(Interval);
        string instance = parse.GetValue(Instance) ?? $"{Environment.MachineName}:{Environment.ProcessId}";
        KeyValuePair<string, object?> what = interfaceName is not null
            ? new(FlowMetrics.InterfaceAttribute, interfaceName)
            : new(FlowMetrics.CaptureFileAttribute, captureFile);
        var metrics = new FlowMetrics([what]);
        try
        {
            return new FlowTelemetry(metrics, StartExporter(endpoint, interval, instance, error));
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
    }

    /// <summary>The only way to the OpenTelemetry SDK: compiled, and the SDK's assemblies loaded, when first called.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IDisposable StartExporter(Uri endpoint, TimeSpan interval, string instance, TextWriter error) =>
        OtlpMetricsExporter.Start(endpoint, interval, instance, error);

    /// <summary>
    /// The metrics URL for <paramref name="text"/>: an absolute http or https URL whose path ends in <c>/v1/metrics</c>
    /// is taken as it is; any other path is a base, to which <c>v1/metrics</c> is appended (after a <c>/</c>), as the OTLP
    /// exporter specification says for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. Null with <paramref name="problem"/> otherwise.
    /// </summary>
    public static Uri? MetricsUrl(string text, out string? problem)
    {
        problem = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host) || text.Any(char.IsWhiteSpace))
        {
            problem = "is not an http:// or https:// URL (e.g. http://127.0.0.1:4318)";
            return null;
        }
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            problem = "must not carry user information, a query or a fragment";
            return null;
        }
        string path = uri.AbsolutePath;
        if (path.EndsWith("/" + MetricsPath, StringComparison.Ordinal))
            return uri;
        var builder = new UriBuilder(uri) { Path = path.TrimEnd('/') + "/" + MetricsPath };
        return builder.Uri;
    }

    private static Uri? ParseEndpoint(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return null;
        string text = r.Tokens[0].Value;
        Uri? url = MetricsUrl(text, out string? problem);
        if (url is null)
            r.AddError($"--otlp: '{text}' {problem}");
        return url;
    }
}
