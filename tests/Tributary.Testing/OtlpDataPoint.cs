namespace Tributary.Testing;

/// <summary>A number data point of an OTLP metric.</summary>
public sealed record OtlpDataPoint(IReadOnlyDictionary<string, object?> Attributes, ulong StartTimeUnixNano, ulong TimeUnixNano, long? AsInt, double? AsDouble);
