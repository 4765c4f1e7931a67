using System.Globalization;
using System.Text.Json;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// The output of <c>tributary flows mptcp</c> (README.md "flows mptcp"): TSV with a header line, one row per
/// connection, or a JSON array with every subflow and address option. Tokens are 8 hex digits and keys 16, as the
/// kernel prints them (<c>ip mptcp monitor</c>); "-" stands for unknown or none in TSV, null in JSON.
/// </summary>
public static partial class MptcpConnectionWriter
{
    public static readonly string[] Columns =
    [
        "conn", "kind", "version", "client", "cport", "server", "sport", "client_token", "server_token", "subflows", "tcp_streams",
        "pkts_c2s", "pkts_s2c", "bytes_c2s", "bytes_s2c", "add_addr", "rm_addr", "backup", "prio", "data_fin", "fastclose",
        "fail", "tcprst", "bad_opts", "fallback",
    ];

    public static string KindText(MptcpConnectionKind kind) => kind switch
    {
        MptcpConnectionKind.Mptcp => "mptcp",
        MptcpConnectionKind.Fallback => "fallback",
        MptcpConnectionKind.Attempt => "attempt",
        _ => "orphan",
    };

    /// <summary><c>-</c>, <c>handshake</c>, <c>missing_mapping</c> or <c>infinite_mapping</c>.</summary>
    public static string FallbackText(MptcpFallback fallback) => fallback switch
    {
        MptcpFallback.Handshake => "handshake",
        MptcpFallback.MissingMapping => "missing_mapping",
        MptcpFallback.InfiniteMapping => "infinite_mapping",
        _ => "-",
    };

    public static IEnumerable<string> Values(MptcpConnection c)
    {
        MptcpSubflow? first = c.Subflows.Count > 0 ? c.Subflows[0] : null;
        return
        [
            Number(c.Index), KindText(c.Kind), c.Version is int v ? Number(v) : "-",
            first?.OpenerAddress.ToString() ?? "-", first is null ? "-" : Number(first.OpenerPort),
            first?.ResponderAddress.ToString() ?? "-", first is null ? "-" : Number(first.ResponderPort),
            Token(c.ClientToken), Token(c.ServerToken), Number(c.Subflows.Count),
            c.Subflows.Count == 0 ? "-" : string.Join(',', c.Subflows.Select(s => Number(s.Stream))),
            Number(c.Packets(MptcpPeer.Client)), Number(c.Packets(MptcpPeer.Server)),
            Number(c.Bytes(MptcpPeer.Client)), Number(c.Bytes(MptcpPeer.Server)),
            AddedText(c), RemovedText(c), Number(c.Subflows.Count(s => s.OpenerBackup || s.ResponderBackup)),
            Number(c.Priority(MptcpPeer.Client) + c.Priority(MptcpPeer.Server)),
            Directions(c.DataFin(MptcpPeer.Client), c.DataFin(MptcpPeer.Server)),
            Directions(c.FastClose(MptcpPeer.Client) > 0, c.FastClose(MptcpPeer.Server) > 0),
            Number(c.Fail(MptcpPeer.Client) + c.Fail(MptcpPeer.Server)),
            Number(c.TcpReset(MptcpPeer.Client) + c.TcpReset(MptcpPeer.Server)),
            Number(c.MalformedOptions), FallbackText(c.Fallback),
        ];
    }

    public static void WriteTsv(TextWriter output, IEnumerable<MptcpConnection> connections)
    {
        output.Write(string.Join('\t', Columns));
        output.Write('\n');
        foreach (MptcpConnection c in connections)
        {
            output.Write(string.Join('\t', Values(c)));
            output.Write('\n');
        }
    }

    public static void WriteJson(Stream output, IEnumerable<MptcpConnection> connections)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        WriteConnections(w, connections);
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteConnections(Utf8JsonWriter w, IEnumerable<MptcpConnection> connections)
    {
        w.WriteStartArray();
        foreach (MptcpConnection c in connections)
            WriteConnection(w, c);
        w.WriteEndArray();
    }

    private static void WriteConnection(Utf8JsonWriter w, MptcpConnection c)
    {
        w.WriteStartObject();
        w.WriteNumber("conn", c.Index);
        w.WriteString("kind", KindText(c.Kind));
        if (c.Version is int v)
            w.WriteNumber("version", v);
        else
            w.WriteNull("version");
        WriteHex(w, "client_key", c.ClientKey, 16);
        WriteHex(w, "server_key", c.ServerKey, 16);
        WriteHex(w, "client_token", c.ClientToken, 8);
        WriteHex(w, "server_token", c.ServerToken, 8);
        WriteHex(w, "client_idsn", c.ClientIdsn, 16);
        WriteHex(w, "server_idsn", c.ServerIdsn, 16);
        w.WriteNumber("first_ns", c.FirstTimestampNanoseconds);
        w.WriteNumber("last_ns", c.LastTimestampNanoseconds);
        foreach ((string dir, MptcpPeer p) in new[] { ("c2s", MptcpPeer.Client), ("s2c", MptcpPeer.Server) })
        {
            w.WriteNumber("pkts_" + dir, c.Packets(p));
            w.WriteNumber("bytes_" + dir, c.Bytes(p));
            w.WriteBoolean("data_fin_" + dir, c.DataFin(p));
            w.WriteNumber("fastclose_" + dir, c.FastClose(p));
            w.WriteNumber("fail_" + dir, c.Fail(p));
            w.WriteNumber("tcprst_" + dir, c.TcpReset(p));
            w.WriteNumber("prio_" + dir, c.Priority(p));
        }
        w.WriteNumber("bad_opts", c.MalformedOptions);
        if (c.Fallback == MptcpFallback.None)
            w.WriteNull("fallback");
        else
            w.WriteString("fallback", FallbackText(c.Fallback));
        w.WriteNumber("fallback_ns", c.FallbackTimestampNanoseconds);
        w.WriteNumber("dropped_addr_records", c.DroppedAddressRecords);
        w.WriteStartArray("subflows");
        foreach (MptcpSubflow s in c.Subflows)
        {
            w.WriteStartObject();
            w.WriteNumber("tcp_stream", s.Stream);
            w.WriteBoolean("initial", s.IsInitial);
            w.WriteString("opened_by", Peer(s.OpenedBy));
            w.WriteString("opener", s.OpenerAddress.ToString());
            w.WriteNumber("opener_port", s.OpenerPort);
            w.WriteString("responder", s.ResponderAddress.ToString());
            w.WriteNumber("responder_port", s.ResponderPort);
            WriteId(w, "opener_addr_id", s.OpenerAddressId);
            WriteId(w, "responder_addr_id", s.ResponderAddressId);
            w.WriteBoolean("opener_backup", s.OpenerBackup);
            w.WriteBoolean("responder_backup", s.ResponderBackup);
            w.WriteBoolean("established", s.Established);
            w.WriteBoolean("refused", s.Refused);
            WriteId(w, "tcprst_reason", s.ResetReason);
            foreach ((string dir, MptcpPeer p) in new[] { ("c2s", MptcpPeer.Client), ("s2c", MptcpPeer.Server) })
            {
                w.WriteNumber("pkts_" + dir, s.Packets(p));
                w.WriteNumber("bytes_" + dir, s.Bytes(p));
                w.WriteBoolean("fin_" + dir, s.Fin(p));
                w.WriteBoolean("rst_" + dir, s.Rst(p));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("add_addr");
        foreach (MptcpAddressAdvertisement a in c.AddedAddresses)
        {
            w.WriteStartObject();
            w.WriteString("sender", Peer(a.Sender));
            w.WriteNumber("id", a.AddressId);
            w.WriteString("address", a.Address.ToString());
            if (a.Port != 0)
                w.WriteNumber("port", a.Port);
            else
                w.WriteNull("port");
            w.WriteBoolean("echo", a.Echo);
            w.WriteNumber("count", a.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("rm_addr");
        foreach ((MptcpPeer sender, byte id) in c.RemovedAddresses)
        {
            w.WriteStartObject();
            w.WriteString("sender", Peer(sender));
            w.WriteNumber("id", id);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Each advertised address once, as <c>{advertiser}{id}={address}</c> (c = client, s = server; <c>:port</c> when
    /// the option has one, IPv6 in brackets then), <c>+echo</c> when the peer echoed it (RFC 8684 §3.4.1). An echo
    /// whose advertisement the capture missed still shows the advertisement it acknowledges.
    /// </summary>
    private static string AddedText(MptcpConnection c)
    {
        var entries = new List<(MptcpPeer Advertiser, byte Id, string Address, bool Echoed)>();
        foreach (MptcpAddressAdvertisement a in c.AddedAddresses)
        {
            MptcpPeer advertiser = a.Echo ? MptcpSubflow.Other(a.Sender) : a.Sender;
            string address = Endpoint(a);
            int i = entries.FindIndex(e => e.Advertiser == advertiser && e.Id == a.AddressId && e.Address == address);
            if (i < 0)
                entries.Add((advertiser, a.AddressId, address, a.Echo));
            else if (a.Echo)
                entries[i] = entries[i] with { Echoed = true };
        }
        return entries.Count == 0
            ? "-"
            : string.Join(',', entries.Select(e => $"{Letter(e.Advertiser)}{Number(e.Id)}={e.Address}{(e.Echoed ? "+echo" : "")}"));
    }

    private static string RemovedText(MptcpConnection c) =>
        c.RemovedAddresses.Count == 0 ? "-" : string.Join(',', c.RemovedAddresses.Select(r => Letter(r.Sender) + Number(r.Id)));

    private static string Endpoint(MptcpAddressAdvertisement a)
    {
        string address = a.Address.ToString();
        if (a.Port == 0)
            return address;
        return a.Address.IsIPv4 ? $"{address}:{Number(a.Port)}" : $"[{address}]:{Number(a.Port)}";
    }

    private static string Directions(bool c2s, bool s2c) => (c2s, s2c) switch
    {
        (true, true) => "both",
        (true, false) => "c2s",
        (false, true) => "s2c",
        _ => "none",
    };

    private static string Letter(MptcpPeer p) => p == MptcpPeer.Client ? "c" : "s";

    private static string Peer(MptcpPeer p) => p == MptcpPeer.Client ? "client" : "server";

    private static string Token(uint? token) => token is uint t ? t.ToString("x8", CultureInfo.InvariantCulture) : "-";

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void WriteHex(Utf8JsonWriter w, string name, ulong? value, int digits)
    {
        if (value is ulong v)
            w.WriteString(name, v.ToString("x" + Number(digits), CultureInfo.InvariantCulture));
        else
            w.WriteNull(name);
    }

    private static void WriteId(Utf8JsonWriter w, string name, byte? value)
    {
        if (value is byte b)
            w.WriteNumber(name, b);
        else
            w.WriteNull(name);
    }
}
