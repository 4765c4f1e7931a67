using System.Diagnostics.Metrics;
using Xunit;

namespace Tributary.Testing;

/// <summary>One collection of a meter's instruments through a <see cref="MeterListener"/>, as an exporter makes it.</summary>
public sealed class MetricReadings
{
    private readonly Dictionary<string, (string Unit, string Kind)> _instruments = new(StringComparer.Ordinal);
    private readonly List<(string Name, long Value, Dictionary<string, object?> Attributes)> _points = [];

    public static MetricReadings Collect(Meter meter)
    {
        var readings = new MetricReadings();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                {
                    readings._instruments[instrument.Name] = (instrument.Unit ?? "", instrument.GetType().Name);
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            readings._points.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();
        listener.RecordObservableInstruments();
        return readings;
    }

    /// <summary>Instrument name → (unit, instrument type name, e.g. ObservableCounter`1).</summary>
    public IReadOnlyDictionary<string, (string Unit, string Kind)> Instruments => _instruments;

    public IEnumerable<(string Name, long Value, Dictionary<string, object?> Attributes)> Points => _points;

    /// <summary>The one point of <paramref name="name"/> whose attributes include <paramref name="key"/>=<paramref name="value"/> (or the only point).</summary>
    public long Value(string name, string? key = null, string? value = null)
    {
        var matches = _points.Where(p => p.Name == name && (key is null || Equals(p.Attributes.GetValueOrDefault(key), value))).ToList();
        Assert.True(matches.Count == 1, $"{matches.Count} points of {name} {key}={value}");
        return matches[0].Value;
    }
}
