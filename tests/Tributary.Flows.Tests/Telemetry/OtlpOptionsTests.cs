using Tributary.Telemetry;

namespace Tributary.Flows.Tests.Telemetry;

/// <summary>Where <c>--otlp ENDPOINT</c> sends (flow commands and mptcpd alike): a base URL gets the signal path, a full metrics URL is kept (OTLP exporter specification).</summary>
public sealed class OtlpOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/metrics")]
    [InlineData("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/metrics")]
    [InlineData("https://collector.example:443/otlp", "https://collector.example/otlp/v1/metrics")]
    [InlineData("http://[::1]:4318/a/b/", "http://[::1]:4318/a/b/v1/metrics")]
    [InlineData("http://127.0.0.1:4318/v1/metrics", "http://127.0.0.1:4318/v1/metrics")]
    [InlineData("http://127.0.0.1:4318/custom/v1/metrics", "http://127.0.0.1:4318/custom/v1/metrics")]
    public void A_base_gets_v1_metrics_and_a_metrics_url_is_kept(string text, string expected)
    {
        Uri? url = OtlpValues.MetricsUrl(text, out string? problem);
        Assert.Null(problem);
        Assert.Equal(expected, url!.AbsoluteUri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost:4318")]
    [InlineData("grpc://127.0.0.1:4317")]
    [InlineData("file:///tmp/x")]
    [InlineData("http://user:pw@127.0.0.1:4318")]
    [InlineData("http://127.0.0.1:4318/#x")]
    [InlineData("http://127.0.0.1:4318 /v1/metrics")]
    public void Anything_else_is_refused_with_a_reason(string text)
    {
        Assert.Null(OtlpValues.MetricsUrl(text, out string? problem));
        Assert.NotNull(problem);
    }
}
