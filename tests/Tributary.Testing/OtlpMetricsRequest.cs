namespace Tributary.Testing;

/// <summary>
/// An OTLP <c>ExportMetricsServiceRequest</c> decoded with <see cref="ProtobufReader"/>, by the field numbers of
/// opentelemetry-proto (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto, common/v1/common.proto,
/// resource/v1/resource.proto): request.resource_metrics = 1; ResourceMetrics.resource = 1, scope_metrics = 2;
/// Resource.attributes = 1; ScopeMetrics.scope = 1, metrics = 2; InstrumentationScope.name = 1; Metric.name = 1,
/// unit = 3, gauge = 5, sum = 7; Gauge.data_points = 1; Sum.data_points = 1, aggregation_temporality = 2,
/// is_monotonic = 3; NumberDataPoint.start_time_unix_nano = 2 and time_unix_nano = 3 (fixed64), as_double = 4 (double),
/// as_int = 6 (sfixed64), attributes = 7; KeyValue.key = 1, value = 2; AnyValue.string_value = 1, bool_value = 2,
/// int_value = 3, double_value = 4. Other fields are skipped.
/// </summary>
public sealed record OtlpMetricsRequest(IReadOnlyList<OtlpResourceMetrics> Resources)
{
    public static OtlpMetricsRequest Decode(ReadOnlyMemory<byte> body)
    {
        var resources = new List<OtlpResourceMetrics>();
        var r = new ProtobufReader(body);
        while (r.TryReadKey(out int field, out WireType type))
        {
            if (field == 1 && type == WireType.LengthDelimited)
                resources.Add(DecodeResourceMetrics(r.ReadMessage()));
            else
                r.Skip(type);
        }
        return new OtlpMetricsRequest(resources);
    }

    /// <summary>Every metric of every resource and scope.</summary>
    public IEnumerable<OtlpMetric> Metrics => Resources.SelectMany(r => r.Scopes).SelectMany(s => s.Metrics);

    private static OtlpResourceMetrics DecodeResourceMetrics(ProtobufReader r)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        var scopes = new List<OtlpScopeMetrics>();
        while (r.TryReadKey(out int field, out WireType type))
        {
            if (field == 1 && type == WireType.LengthDelimited)
            {
                ProtobufReader resource = r.ReadMessage();
                while (resource.TryReadKey(out int f, out WireType t))
                {
                    if (f == 1 && t == WireType.LengthDelimited)
                        AddKeyValue(resource.ReadMessage(), attributes);
                    else
                        resource.Skip(t);
                }
            }
            else if (field == 2 && type == WireType.LengthDelimited)
            {
                scopes.Add(DecodeScopeMetrics(r.ReadMessage()));
            }
            else
            {
                r.Skip(type);
            }
        }
        return new OtlpResourceMetrics(attributes, scopes);
    }

    private static OtlpScopeMetrics DecodeScopeMetrics(ProtobufReader r)
    {
        string scope = "";
        var metrics = new List<OtlpMetric>();
        while (r.TryReadKey(out int field, out WireType type))
        {
            if (field == 1 && type == WireType.LengthDelimited)
            {
                ProtobufReader s = r.ReadMessage();
                while (s.TryReadKey(out int f, out WireType t))
                {
                    if (f == 1 && t == WireType.LengthDelimited)
                        scope = s.ReadString();
                    else
                        s.Skip(t);
                }
            }
            else if (field == 2 && type == WireType.LengthDelimited)
            {
                metrics.Add(DecodeMetric(r.ReadMessage()));
            }
            else
            {
                r.Skip(type);
            }
        }
        return new OtlpScopeMetrics(scope, metrics);
    }

    private static OtlpMetric DecodeMetric(ProtobufReader r)
    {
        string name = "", unit = "", kind = "";
        int temporality = 0;
        bool monotonic = false;
        var points = new List<OtlpDataPoint>();
        while (r.TryReadKey(out int field, out WireType type))
        {
            switch (field, type)
            {
                case (1, WireType.LengthDelimited):
                    name = r.ReadString();
                    break;
                case (3, WireType.LengthDelimited):
                    unit = r.ReadString();
                    break;
                case (5 or 7, WireType.LengthDelimited):
                    kind = field == 5 ? "gauge" : "sum";
                    ProtobufReader data = r.ReadMessage();
                    while (data.TryReadKey(out int f, out WireType t))
                    {
                        if (f == 1 && t == WireType.LengthDelimited)
                            points.Add(DecodePoint(data.ReadMessage()));
                        else if (field == 7 && f == 2 && t == WireType.Varint)
                            temporality = (int)data.ReadVarint();
                        else if (field == 7 && f == 3 && t == WireType.Varint)
                            monotonic = data.ReadVarint() != 0;
                        else
                            data.Skip(t);
                    }
                    break;
                default:
                    r.Skip(type);
                    break;
            }
        }
        return new OtlpMetric(name, unit, kind, temporality, monotonic, points);
    }

    private static OtlpDataPoint DecodePoint(ProtobufReader r)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        ulong start = 0, time = 0;
        long? asInt = null;
        double? asDouble = null;
        while (r.TryReadKey(out int field, out WireType type))
        {
            switch (field, type)
            {
                case (2, WireType.Fixed64):
                    start = r.ReadFixed64();
                    break;
                case (3, WireType.Fixed64):
                    time = r.ReadFixed64();
                    break;
                case (4, WireType.Fixed64):
                    asDouble = BitConverter.UInt64BitsToDouble(r.ReadFixed64());
                    break;
                case (6, WireType.Fixed64):
                    asInt = (long)r.ReadFixed64();
                    break;
                case (7, WireType.LengthDelimited):
                    AddKeyValue(r.ReadMessage(), attributes);
                    break;
                default:
                    r.Skip(type);
                    break;
            }
        }
        return new OtlpDataPoint(attributes, start, time, asInt, asDouble);
    }

    private static void AddKeyValue(ProtobufReader r, Dictionary<string, object?> into)
    {
        string key = "";
        object? value = null;
        while (r.TryReadKey(out int field, out WireType type))
        {
            if (field == 1 && type == WireType.LengthDelimited)
            {
                key = r.ReadString();
            }
            else if (field == 2 && type == WireType.LengthDelimited)
            {
                ProtobufReader any = r.ReadMessage();
                while (any.TryReadKey(out int f, out WireType t))
                {
                    value = (f, t) switch
                    {
                        (1, WireType.LengthDelimited) => any.ReadString(),
                        (2, WireType.Varint) => any.ReadVarint() != 0,
                        (3, WireType.Varint) => (long)any.ReadVarint(),
                        (4, WireType.Fixed64) => BitConverter.UInt64BitsToDouble(any.ReadFixed64()),
                        _ => Skipped(ref any, t),
                    };
                }
            }
            else
            {
                r.Skip(type);
            }
        }
        into[key] = value;
    }

    private static object? Skipped(ref ProtobufReader r, WireType type)
    {
        r.Skip(type);
        return null;
    }
}
