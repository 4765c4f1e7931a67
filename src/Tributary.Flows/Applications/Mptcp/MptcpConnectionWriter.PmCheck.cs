using System.Globalization;
using System.Text.Json;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// The path-manager check of <c>flows mptcp --pm-check</c> (README.md): in TSV, after the connection table, an empty
/// line and a second table with one row per <see cref="MptcpPmFinding"/>; in JSON, one object with the connection array
/// under <c>connections</c> and the check under <c>pm_check</c> (findings, the kernel's connections, signal endpoints, counts).
/// </summary>
public static partial class MptcpConnectionWriter
{
    public static readonly string[] PmCheckColumns = ["pm_check", "conn", "token", "side", "subject", "kernel", "wire"];

    public static string FindingText(MptcpPmFindingKind kind) => kind switch
    {
        MptcpPmFindingKind.Agree => "agree",
        MptcpPmFindingKind.KernelOnly => "kernel_only",
        MptcpPmFindingKind.WireOnly => "wire_only",
        MptcpPmFindingKind.NotEndpoint => "not_endpoint",
        MptcpPmFindingKind.BeforeStart => "before_start",
        MptcpPmFindingKind.Role => "role",
        MptcpPmFindingKind.SubflowKernelOnly => "subflow_kernel_only",
        MptcpPmFindingKind.SubflowWireOnly => "subflow_wire_only",
        MptcpPmFindingKind.Backup => "backup",
        MptcpPmFindingKind.Priority => "priority",
        MptcpPmFindingKind.AnnounceKernelOnly => "announce_kernel_only",
        MptcpPmFindingKind.AnnounceWireOnly => "announce_wire_only",
        MptcpPmFindingKind.RemoveKernelOnly => "remove_kernel_only",
        MptcpPmFindingKind.RemoveWireOnly => "remove_wire_only",
        MptcpPmFindingKind.SignalMissing => "signal_missing",
        MptcpPmFindingKind.EchoMissing => "echo_missing",
        _ => "events_lost",
    };

    public static IEnumerable<string> Values(MptcpPmFinding f) =>
    [
        FindingText(f.Kind), f.Connection is null ? "-" : Number(f.Connection.Index), Token(f.Token),
        f.Side is MptcpPeer p ? Peer(p) : "-", f.Subject, f.Kernel, f.Wire,
    ];

    public static void WriteTsv(TextWriter output, IEnumerable<MptcpConnection> connections, MptcpPmCheckResult check)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(check);
        WriteTsv(output, connections);
        output.Write('\n');
        output.Write(string.Join('\t', PmCheckColumns));
        output.Write('\n');
        foreach (MptcpPmFinding f in check.Findings)
        {
            output.Write(string.Join('\t', Values(f)));
            output.Write('\n');
        }
    }

    public static void WriteJson(Stream output, IEnumerable<MptcpConnection> connections, MptcpPmCheckResult check)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(check);
        MptcpKernelView kernel = check.Kernel;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        w.WriteStartObject();
        w.WritePropertyName("connections");
        WriteConnections(w, connections);
        w.WriteStartObject("pm_check");
        w.WriteNumber("discrepancies", check.Discrepancies);
        w.WriteNumber("events", kernel.Events);
        w.WriteNumber("events_lost", kernel.EventsLost);
        w.WriteNumber("listener_events", kernel.ListenerEvents);
        w.WriteNumber("dropped_records", kernel.DroppedRecords);
        w.WriteStartArray("findings");
        foreach (MptcpPmFinding f in check.Findings)
        {
            w.WriteStartObject();
            w.WriteString("check", FindingText(f.Kind));
            w.WriteBoolean("discrepancy", f.IsDiscrepancy);
            if (f.Connection is null)
                w.WriteNull("conn");
            else
                w.WriteNumber("conn", f.Connection.Index);
            if (f.KernelConnection is null)
                w.WriteNull("kernel_conn");
            else
                w.WriteNumber("kernel_conn", f.KernelConnection.Index);
            WriteHex(w, "token", f.Token, 8);
            if (f.Side is MptcpPeer p)
                w.WriteString("side", Peer(p));
            else
                w.WriteNull("side");
            w.WriteString("subject", f.Subject);
            w.WriteString("kernel", f.Kernel);
            w.WriteString("wire", f.Wire);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("kernel_connections");
        foreach (MptcpKernelConnection k in kernel.Connections)
            WriteKernelConnection(w, k);
        w.WriteEndArray();
        w.WriteStartArray("signal_endpoints");
        foreach (MptcpKernelAddress e in kernel.SignalEndpoints)
            WriteKernelAddress(w, e);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteKernelConnection(Utf8JsonWriter w, MptcpKernelConnection k)
    {
        w.WriteStartObject();
        w.WriteNumber("kernel_conn", k.Index);
        WriteHex(w, "token", k.Token, 8);
        if (k.ServerSide is bool server)
            w.WriteString("side", server ? "server" : "client");
        else
            w.WriteNull("side");
        WriteEnd(w, "local", k.Local);
        WriteEnd(w, "remote", k.Remote);
        w.WriteBoolean("created", k.Created);
        w.WriteBoolean("established", k.Established);
        w.WriteBoolean("closed", k.Closed);
        w.WriteBoolean("existed_at_start", k.ExistedAtStart);
        w.WriteStartArray("subflows");
        foreach (MptcpKernelSubflow s in k.Subflows)
        {
            w.WriteStartObject();
            w.WriteBoolean("initial", s.IsInitial);
            WriteEnd(w, "local", s.Local);
            WriteEnd(w, "remote", s.Remote);
            w.WriteNumber("local_id", s.LocalId);
            w.WriteNumber("remote_id", s.RemoteId);
            w.WriteBoolean("backup", s.Backup);
            w.WriteBoolean("established", s.Established);
            w.WriteBoolean("closed", s.Closed);
            WriteId(w, "error", s.Error);
            w.WriteNumber("priority_events", s.PriorityEvents);
            w.WriteBoolean("existed_at_start", s.ExistedAtStart);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("announced");
        foreach (MptcpKernelAddress a in k.Announced)
            WriteKernelAddress(w, a);
        w.WriteEndArray();
        w.WriteStartArray("removed");
        foreach (byte id in k.Removed)
            w.WriteNumberValue(id);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteKernelAddress(Utf8JsonWriter w, in MptcpKernelAddress a)
    {
        w.WriteStartObject();
        w.WriteNumber("id", a.Id);
        w.WriteString("address", a.Address.ToString());
        if (a.Port != 0)
            w.WriteNumber("port", a.Port);
        else
            w.WriteNull("port");
        w.WriteEndObject();
    }

    private static void WriteEnd(Utf8JsonWriter w, string name, MptcpSocketAddress? end)
    {
        if (end is { } e)
            w.WriteString(name, e.ToString());
        else
            w.WriteNull(name);
    }
}
