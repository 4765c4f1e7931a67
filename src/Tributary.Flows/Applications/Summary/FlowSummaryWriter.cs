using System.Globalization;
using System.Text.Json;

namespace Tributary.Flows.Applications.Summary;

/// <summary>The output formats of <c>tributary flows summary</c> (DESIGN.md "Contracts"): TSV with a header line, or one JSON array.</summary>
public static class FlowSummaryWriter
{
    public static readonly string[] Columns =
    [
        "ipver", "client", "cport", "server", "sport", "basis", "pkts_c2s", "pkts_s2c", "bytes_c2s", "bytes_s2c",
        "retx_c2s", "retx_s2c", "syn", "synack", "fin_c2s", "fin_s2c", "rst_c2s", "rst_s2c", "close",
        "len_c2s", "len_s2c", "sha_c2s", "sha_s2c",
    ];

    public static IEnumerable<object> Values(FlowSummary f)
    {
        FlowSummary.Direction c = f.ClientToServer, s = f.ServerToClient;
        return
        [
            f.IpVersion, c.Address.ToString(), c.Port, s.Address.ToString(), s.Port, f.Basis, c.Packets, s.Packets, c.Bytes, s.Bytes,
            c.Retransmissions, s.Retransmissions, f.Syn, f.SynAck, c.Fin, s.Fin, c.Rst, s.Rst, f.Close,
            c.Length, s.Length, c.Sha256, s.Sha256,
        ];
    }

    public static void WriteTsv(TextWriter output, IEnumerable<FlowSummary> flows)
    {
        output.Write(string.Join('\t', Columns));
        output.Write('\n');
        foreach (FlowSummary f in flows)
        {
            output.Write(string.Join('\t', Values(f).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
            output.Write('\n');
        }
    }

    public static void WriteJson(Stream output, IEnumerable<FlowSummary> flows)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        w.WriteStartArray();
        foreach (FlowSummary f in flows)
        {
            w.WriteStartObject();
            foreach ((string name, object value) in Columns.Zip(Values(f)))
            {
                switch (value)
                {
                    case string s:
                        w.WriteString(name, s);
                        break;
                    default:
                        w.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                        break;
                }
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Flush();
        output.WriteByte((byte)'\n');
    }
}
