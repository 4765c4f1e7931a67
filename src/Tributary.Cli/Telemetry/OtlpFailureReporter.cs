using System.Collections.Concurrent;
using System.Globalization;

namespace Tributary.Cli.Telemetry;

/// <summary>
/// The OTLP exporter's HTTP pipeline stage that tells the user when exports fail: one stderr line per kind of failure
/// (connection refused, name not resolved, timeout, an HTTP status …) for the whole run, so that an absent collector
/// is noticed without a line every interval. The request and its outcome pass through unchanged: the SDK drops the
/// batch and the next interval tries again, while the work (<paramref name="activity"/>: monitoring, path management) goes on.
/// </summary>
internal sealed class OtlpFailureReporter(Uri metricsUrl, TimeSpan timeout, string activity, TextWriter error) : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Check(base.Send(request, cancellationToken));
        }
        catch (Exception ex) when (Note(ex, cancellationToken))
        {
            throw; // not reached: Note returns false
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Check(await base.SendAsync(request, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (Note(ex, cancellationToken))
        {
            throw; // not reached: Note returns false
        }
    }

    private HttpResponseMessage Check(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            int code = (int)response.StatusCode;
            Report($"http {code}", string.Create(CultureInfo.InvariantCulture, $"the collector answered HTTP {code} {response.ReasonPhrase}"));
        }
        return response;
    }

    /// <summary>Reports the failure <paramref name="ex"/> and returns false, so that it propagates untouched.</summary>
    private bool Note(Exception ex, CancellationToken cancellationToken)
    {
        switch (ex)
        {
            case HttpRequestException h:
                Report(h.HttpRequestError.ToString(), h.Message);
                break;
            case OperationCanceledException when !cancellationToken.IsCancellationRequested:
                Report("timeout", string.Create(CultureInfo.InvariantCulture, $"no answer within {timeout.TotalSeconds:0.#} s"));
                break;
            case OperationCanceledException:
                break; // the exporter gave up (shut down): not the collector's fault
            default:
                Report(ex.GetType().Name, ex.Message);
                break;
        }
        return false;
    }

    private void Report(string kind, string text)
    {
        if (_reported.TryAdd(kind, true))
            error.WriteLine($"tributary: OTLP export to {metricsUrl} failed: {text}; {activity} goes on (reported once per kind of failure)");
    }
}
