using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using Tributary.Flows.Telemetry;
using Tributary.Telemetry;

namespace Tributary.Cli.Telemetry;

/// <summary>
/// <c>--otlp ENDPOINT [--otlp-interval SECONDS] [--otlp-instance ID]</c> of the long-running flow commands: their
/// counters (<see cref="FlowMetrics"/>) exported to an OpenTelemetry collector over OTLP/HTTP with protobuf bodies.
/// The OpenTelemetry SDK is loaded only when <c>--otlp</c> is given (<see cref="OtlpMetricsExporter"/> is reached
/// through a method that is compiled only then), so the start-up of every other run is unchanged. The values are
/// parsed by <see cref="OtlpValues"/>, as the mptcpd daemon's options of the same names are.
/// </summary>
internal sealed class OtlpOptions
{
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
        CustomParser = ParseInterval,
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
            if (r.Tokens.Count == 1 && !OtlpValues.IsValidInstance(r.Tokens[0].Value))
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
        TimeSpan interval = parse.GetResult(Interval) is null ? OtlpValues.DefaultInterval : parse.GetValue(Interval);
        string instance = parse.GetValue(Instance) ?? OtlpValues.DefaultInstance();
        KeyValuePair<string, object?> what = interfaceName is not null
            ? new(FlowMetrics.InterfaceAttribute, interfaceName)
            : new(FlowMetrics.CaptureFileAttribute, captureFile);
        var metrics = new FlowMetrics([what]);
        try
        {
            return new FlowTelemetry(metrics, StartExporter(new OtlpExport(endpoint, interval, instance, [FlowMetrics.MeterName], "monitoring"), error));
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
    }

    /// <summary>The only way to the OpenTelemetry SDK: compiled, and the SDK's assemblies loaded, when first called.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static IDisposable StartExporter(OtlpExport export, TextWriter error) => OtlpMetricsExporter.Start(export, error);

    private static Uri? ParseEndpoint(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return null;
        string text = r.Tokens[0].Value;
        Uri? url = OtlpValues.MetricsUrl(text, out string? problem);
        if (url is null)
            r.AddError($"--otlp: '{text}' {problem}");
        return url;
    }

    private static TimeSpan ParseInterval(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return TimeSpan.Zero;
        const string name = "--otlp-interval";
        string text = r.Tokens[0].Value;
        if (OtlpValues.TryParseInterval(text, out TimeSpan interval, out bool isNumber))
            return interval;
        r.AddError(isNumber ? $"{name} {OtlpValues.IntervalRequirement}" : $"{name}: '{text}' is not a number of seconds ({name} {OtlpValues.IntervalRequirement})");
        return TimeSpan.Zero;
    }
}
