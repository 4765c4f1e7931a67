namespace Tributary.Testing;

/// <summary>A resource's metrics in an OTLP export: the resource attributes and its scopes.</summary>
public sealed record OtlpResourceMetrics(IReadOnlyDictionary<string, object?> Attributes, IReadOnlyList<OtlpScopeMetrics> Scopes);
