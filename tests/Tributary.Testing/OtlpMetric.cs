namespace Tributary.Testing;

/// <summary>A metric: <see cref="Kind"/> "sum" or "gauge"; <see cref="Temporality"/> 1 delta, 2 cumulative (sums only).</summary>
public sealed record OtlpMetric(string Name, string Unit, string Kind, int Temporality, bool IsMonotonic, IReadOnlyList<OtlpDataPoint> Points);
