namespace Tributary.Testing;

/// <summary>An instrumentation scope (a meter) and its metrics in an OTLP export.</summary>
public sealed record OtlpScopeMetrics(string Name, IReadOnlyList<OtlpMetric> Metrics);
