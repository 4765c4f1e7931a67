using System.Globalization;

namespace Tributary.Telemetry;

/// <summary>
/// The values of the OTLP export options, parsed and checked the same way wherever they are given: the flow commands'
/// <c>--otlp</c>, <c>--otlp-interval</c>, <c>--otlp-instance</c> (System.CommandLine) and the mptcpd daemon's options
/// and <c>[core]</c> keys of the same names (argp style). Each caller words the problem as its command line does.
/// </summary>
public static class OtlpValues
{
    /// <summary>The signal path of OTLP/HTTP metrics, appended to a base endpoint (OTLP exporter specification).</summary>
    public const string MetricsPath = "v1/metrics";

    /// <summary>What an interval must be, as the error messages say it.</summary>
    public const string IntervalRequirement = "must be between 0.1 and 86400 seconds";

    /// <summary>Export interval when none is given (the OpenTelemetry SDK's default is 60 s).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>
    /// The metrics URL for <paramref name="text"/>: an absolute http or https URL whose path ends in <c>/v1/metrics</c>
    /// is taken as it is; any other path is a base, to which <c>v1/metrics</c> is appended (after a <c>/</c>), as the OTLP
    /// exporter specification says for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. Null with <paramref name="problem"/> otherwise.
    /// </summary>
    public static Uri? MetricsUrl(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
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

    /// <summary>
    /// An interval in seconds: a decimal number (<c>1</c>, <c>0.25</c>), rounded to the microsecond, between
    /// <see cref="MinInterval"/> and <see cref="MaxInterval"/>. False when it is not a number (<paramref name="isNumber"/>
    /// false) or out of range.
    /// </summary>
    public static bool TryParseInterval(string text, out TimeSpan interval, out bool isNumber)
    {
        ArgumentNullException.ThrowIfNull(text);
        interval = TimeSpan.Zero;
        isNumber = decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds)
            && Math.Abs(seconds) <= 1_000_000_000m;
        if (!isNumber)
            return false;
        var value = TimeSpan.FromMicroseconds((long)Math.Round(seconds * 1_000_000m));
        if (value < MinInterval || value > MaxInterval)
            return false;
        interval = value;
        return true;
    }

    /// <summary>Whether <paramref name="text"/> can be a <c>service.instance.id</c>: anything but blank.</summary>
    public static bool IsValidInstance(string text) => !string.IsNullOrWhiteSpace(text);

    /// <summary>The <c>service.instance.id</c> when none is given: HOST:PID.</summary>
    public static string DefaultInstance() => string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}");
}
