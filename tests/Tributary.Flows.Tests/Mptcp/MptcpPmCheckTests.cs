using System.Text.Json;
using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;
using K = Tributary.Flows.Applications.Mptcp.MptcpPmFindingKind;
using O = Tributary.Flows.Tests.Mptcp.MptcpOptions;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// <see cref="MptcpPmCheck"/> on hand-made views: the wire from hand-built frames (the tracker), the kernel from the
/// events Linux sends for that traffic (as the lab shows them: tokens of the local key, the peer's backup bit, the
/// subflow's port in ANNOUNCED). One test per kind of finding, each against the agreeing baseline.
/// </summary>
public sealed class MptcpPmCheckTests
{
    private const ulong ClientKey = 0x0102030405060708, ServerKey = 0x1112131415161718;
    private const uint ClientToken = 0x66840dda, ServerToken = 0xccad45ac; // SHA-256 of the keys (MptcpKeysTests)

    private const string C1 = "10.0.0.1", C2 = "10.0.1.1", S1 = "10.0.0.2", S2 = "10.0.2.2";
    private const byte Syn = Frames.Syn, Ack = Frames.Ack, SynAck = Frames.Syn | Frames.Ack;

    private static readonly MptcpSocketAddress Initial = End(C1, 40000), Server = End(S1, 80), Join = End(C2, 40001);

    private readonly MptcpConnectionTracker _wire = new();
    private readonly MptcpKernelView _kernel = new();
    private long _time = 1_000_000_000;

    private static MptcpSocketAddress End(string address, ushort port) => new(IpAddress.Parse(address), port);

    private void Send(string src, ushort sport, string dst, ushort dport, byte flags, byte[] options, int payload = 0)
    {
        byte[] frame = Frames.Tcp(src, sport, dst, dport, flags, 1000, 1, Frames.Bytes('x', payload), options: options);
        _wire.Add(frame, LinkType.Ethernet, frame.Length, _time += 1000);
    }

    /// <summary>
    /// The wire: C1:40000 → S1:80 (MP_CAPABLE), a join C2:40001 → S1:80, the server announcing S2 as id 5 (echoed)
    /// and then removing id 5. Without <paramref name="announce"/>, no ADD_ADDR/REMOVE_ADDR.
    /// </summary>
    private void Wire(bool announce = true, bool joinBackup = false)
    {
        Send(C1, 40000, S1, 80, Syn, O.CapableSyn());
        Send(S1, 80, C1, 40000, SynAck, O.CapableSynAck(ServerKey));
        Send(C1, 40000, S1, 80, Ack, O.CapableAck(ClientKey, ServerKey), payload: 10);
        Send(C2, 40001, S1, 80, Syn, O.JoinSyn(2, ServerToken));
        Send(S1, 80, C2, 40001, SynAck, O.JoinSynAck(0, backup: joinBackup));
        Send(C2, 40001, S1, 80, Ack, O.JoinAck());
        if (announce)
        {
            Send(S1, 80, C1, 40000, Ack, O.AddAddress(5, S2));
            Send(C1, 40000, S1, 80, Ack, O.AddAddress(5, S2, echo: true));
            Send(S1, 80, C1, 40000, Ack, O.RemoveAddress(5));
        }
    }

    /// <summary>What the client's path manager reports for <see cref="Wire"/>.</summary>
    private void ClientKernel(bool announce = true, bool joinBackup = false)
    {
        _kernel.ConnectionCreated(ClientToken, Initial, Server, serverSide: false);
        _kernel.ConnectionEstablished(ClientToken, Initial, Server, serverSide: false);
        _kernel.SubflowEstablished(ClientToken, Join, Server, 2, 0, joinBackup);
        if (announce)
        {
            _kernel.AddressAnnounced(ClientToken, 5, IpAddress.Parse(S2), 80); // the kernel fills in the subflow's port
            _kernel.AddressRemoved(ClientToken, 5);
        }
        _kernel.ConnectionClosed(ClientToken);
    }

    private MptcpPmCheckResult Check() => MptcpPmCheck.Compare(_wire.Connections, _kernel);

    private static string Row(MptcpPmFinding f) => string.Join('\t', MptcpConnectionWriter.Values(f));

    [Fact]
    public void The_clients_events_agree_with_the_wire()
    {
        Wire();
        ClientKernel();
        MptcpPmCheckResult r = Check();
        MptcpPmFinding f = Assert.Single(r.Findings);
        Assert.Equal(0, r.Discrepancies);
        Assert.Equal("agree\t0\t66840dda\tclient\t-\tsf=2,add=1,rm=1\tsf=2,add=1,rm=1", Row(f));
    }

    [Fact]
    public void The_servers_events_agree_with_the_wire_under_the_server_token()
    {
        Wire();
        _kernel.ConnectionCreated(ServerToken, Server, Initial, serverSide: true);
        _kernel.ConnectionEstablished(ServerToken, Server, Initial, serverSide: true);
        _kernel.SubflowEstablished(ServerToken, Server, Join, 0, 2, backup: false);
        // The server announced and removed: its own signals are no events; nothing from the client (the echo is no announcement).
        MptcpPmFinding f = Assert.Single(Check().Findings);
        Assert.Equal("agree\t0\tccad45ac\tserver\t-\tsf=2,add=0,rm=0\tsf=2,add=0,rm=0", Row(f));
    }

    [Fact]
    public void A_kernel_connection_no_captured_handshake_gave_is_kernel_only_or_before_the_start()
    {
        Wire();
        ClientKernel();
        _kernel.ConnectionCreated(0x01020304, End(C1, 41000), End(S2, 443), serverSide: false);
        _kernel.ConnectionExisting(0x0a0b0c0d, End(C1, 39000), End(S1, 22));
        MptcpPmCheckResult r = Check();
        Assert.Equal(["agree", "kernel_only", "before_start"], r.Findings.Select(f => MptcpConnectionWriter.FindingText(f.Kind)));
        Assert.Equal(1, r.Discrepancies);
        Assert.Equal("kernel_only\t-\t01020304\tclient\t10.0.0.1:41000-10.0.2.2:443\tsf=1,add=0,rm=0\t-", Row(r.Findings[1]));
        Assert.Equal("before_start\t-\t0a0b0c0d\t-\t10.0.0.1:39000-10.0.0.2:22\tsf=0,add=0,rm=0\t-", Row(r.Findings[2]));
    }

    [Fact]
    public void A_wire_connection_the_kernel_never_reported_is_a_discrepancy_only_on_one_of_its_hosts()
    {
        Wire();
        MptcpPmFinding router = Assert.Single(Check().Findings);
        Assert.Equal("not_endpoint\t0\t66840dda\t-\t10.0.0.1:40000-10.0.0.2:80\t-\tsf=2,add=1,rm=1", Row(router));
        Assert.False(router.IsDiscrepancy);

        _kernel.AddLocalAddress(IpAddress.Parse(S1));
        MptcpPmFinding host = Assert.Single(Check().Findings);
        Assert.Equal("wire_only\t0\tccad45ac\tserver\t10.0.0.2:80-10.0.0.1:40000\t-\tsf=2,add=0,rm=0", Row(host));
        Assert.True(host.IsDiscrepancy);
    }

    [Fact]
    public void A_server_side_event_under_the_clients_token_is_a_role_discrepancy()
    {
        Wire(announce: false);
        _kernel.ConnectionCreated(ClientToken, Initial, Server, serverSide: true);
        _kernel.SubflowEstablished(ClientToken, Join, Server, 2, 0, false);
        MptcpPmFinding f = Assert.Single(Check().Findings);
        Assert.Equal("role\t0\t66840dda\tclient\t-\tserver\tclient", Row(f));
    }

    [Fact]
    public void A_subflow_only_the_kernel_reported_is_named_by_its_ends()
    {
        Wire();
        ClientKernel();
        _kernel.SubflowEstablished(ClientToken, End(C2, 40009), End(S2, 80), 2, 5, false);
        _kernel.SubflowClosed(ClientToken, End(C1, 40010), End(S2, 80), 0, 5, false, error: 111); // a failed join: never established
        _kernel.SubflowExisting(ClientToken, End(C2, 39999), End(S1, 80), 2, 0, false, initial: false); // older than the capture
        MptcpPmCheckResult r = Check();
        MptcpPmFinding f = Assert.Single(r.Findings);
        Assert.Equal("subflow_kernel_only\t0\t66840dda\tclient\t10.0.1.1:40009-10.0.2.2:80\tlocid=2,remid=5\t-", Row(f));
    }

    [Fact]
    public void A_join_established_on_the_wire_without_SUB_ESTABLISHED_is_wire_only()
    {
        Wire();
        ClientKernel();
        // The server joins the client from S2: the wire has it, the kernel said nothing.
        Send(S2, 50000, C2, 40002, Syn, O.JoinSyn(5, ClientToken));
        Send(C2, 40002, S2, 50000, SynAck, O.JoinSynAck(2));
        Send(S2, 50000, C2, 40002, Ack, O.JoinAck());
        MptcpPmFinding f = Assert.Single(Check().Findings);
        Assert.Equal("subflow_wire_only\t0\t66840dda\tclient\t10.0.1.1:40002-10.0.2.2:50000\t-\ttcp.stream=2", Row(f));
    }

    [Fact]
    public void The_kernels_backup_bit_is_the_peers_request_on_the_wire()
    {
        Wire(joinBackup: true);
        ClientKernel(joinBackup: true); // the server's SYN/ACK asked for backup: the client's kernel says backup=1
        Assert.Equal(K.Agree, Assert.Single(Check().Findings).Kind);

        var wrong = new MptcpKernelView();
        wrong.ConnectionCreated(ClientToken, Initial, Server, serverSide: false);
        wrong.SubflowEstablished(ClientToken, Join, Server, 2, 0, backup: false);
        wrong.AddressAnnounced(ClientToken, 5, IpAddress.Parse(S2), 80);
        wrong.AddressRemoved(ClientToken, 5);
        MptcpPmFinding f = Assert.Single(MptcpPmCheck.Compare(_wire.Connections, wrong).Findings);
        Assert.Equal("backup\t0\t66840dda\tclient\t10.0.1.1:40001-10.0.0.2:80\tbackup=0\tbackup=1", Row(f));
    }

    [Fact]
    public void SUB_PRIORITY_without_MP_PRIO_from_the_peer_and_the_reverse_are_priority_discrepancies()
    {
        Wire();
        ClientKernel();
        Send(S1, 80, C2, 40001, Ack, O.Priority(backup: false)); // the server's MP_PRIO on the join: no change of the bit
        MptcpPmFinding f = Assert.Single(Check().Findings);
        Assert.Equal("priority\t0\t66840dda\tclient\t10.0.1.1:40001-10.0.0.2:80\tsub_priority=0\tmp_prio=1", Row(f));

        _kernel.SubflowPriority(ClientToken, Join, Server, 2, 0, backup: false);
        Assert.Equal(K.Agree, Assert.Single(Check().Findings).Kind);
        // The client's own MP_PRIO is no event on the client: it does not count.
        _kernel.SubflowPriority(ClientToken, Initial, Server, 0, 0, backup: false);
        Send(C1, 40000, S1, 80, Ack, O.Priority(backup: false));
        MptcpPmFinding g = Assert.Single(Check().Findings);
        Assert.Equal("priority\t0\t66840dda\tclient\t10.0.0.1:40000-10.0.0.2:80\tsub_priority=1\tmp_prio=0", Row(g));
    }

    [Fact]
    public void Announcements_are_compared_by_id_and_address_and_the_port_only_when_the_option_has_one()
    {
        Wire();
        ClientKernel();
        _kernel.AddressAnnounced(ClientToken, 6, IpAddress.Parse("10.0.3.2"), 80);
        Send(S1, 80, C1, 40000, Ack, O.AddAddress(7, "10.0.4.2", port: 8080));
        _kernel.AddressAnnounced(ClientToken, 8, IpAddress.Parse("10.0.5.2"), 80); // port 80 reported, 8443 sent
        Send(S1, 80, C1, 40000, Ack, O.AddAddress(8, "10.0.5.2", port: 8443));
        MptcpPmCheckResult r = Check();
        Assert.Equal(
        [
            "announce_kernel_only\t0\t66840dda\tclient\tid6=10.0.3.2\t10.0.3.2:80\t-",
            "announce_kernel_only\t0\t66840dda\tclient\tid8=10.0.5.2\t10.0.5.2:80\t-",
            "announce_wire_only\t0\t66840dda\tclient\tid7=10.0.4.2\t-\t10.0.4.2:8080",
            "announce_wire_only\t0\t66840dda\tclient\tid8=10.0.5.2\t-\t10.0.5.2:8443",
        ], r.Findings.Select(Row));
    }

    [Fact]
    public void Removals_the_other_side_did_not_see_are_discrepancies()
    {
        Wire();
        ClientKernel();
        _kernel.AddressRemoved(ClientToken, 9);
        Send(S1, 80, C1, 40000, Ack, O.RemoveAddress(3));
        Send(C1, 40000, S1, 80, Ack, O.RemoveAddress(4)); // the client's own: no event on the client
        MptcpPmCheckResult r = Check();
        Assert.Equal(
        [
            "remove_kernel_only\t0\t66840dda\tclient\tid9\tremoved\t-",
            "remove_wire_only\t0\t66840dda\tclient\tid3\t-\trm_addr",
        ], r.Findings.Select(Row));
    }

    [Fact]
    public void Each_signal_endpoint_must_go_out_as_ADD_ADDR_and_come_back_echoed()
    {
        Wire();
        ClientKernel();
        _kernel.AddSignalEndpoint(3, IpAddress.Parse("10.0.6.1"), 0);
        _kernel.AddSignalEndpoint(4, IpAddress.Parse("10.0.7.1"), 0);
        _kernel.AddSignalEndpoint(1, IpAddress.Parse(C1), 0); // the connection's own first address: never announced on it
        Send(C1, 40000, S1, 80, Ack, O.AddAddress(4, "10.0.7.1"));
        MptcpPmCheckResult r = Check();
        Assert.Equal(
        [
            "signal_missing\t0\t66840dda\tclient\tid3=10.0.6.1\tsignal\t-",
            "echo_missing\t0\t66840dda\tclient\tid4=10.0.7.1\tsignal\tadd_addr",
        ], r.Findings.Select(Row));

        Send(C1, 40000, S1, 80, Ack, O.AddAddress(3, "10.0.6.1"));
        Send(S1, 80, C1, 40000, Ack, O.AddAddress(3, "10.0.6.1", echo: true));
        Send(S1, 80, C1, 40000, Ack, O.AddAddress(4, "10.0.7.1", echo: true));
        Assert.Equal(K.Agree, Assert.Single(Check().Findings).Kind);
    }

    [Fact]
    public void Signal_endpoints_are_not_expected_before_ESTABLISHED()
    {
        Wire();
        _kernel.ConnectionCreated(ClientToken, Initial, Server, serverSide: false);
        _kernel.SubflowEstablished(ClientToken, Join, Server, 2, 0, false);
        _kernel.AddressAnnounced(ClientToken, 5, IpAddress.Parse(S2), 80);
        _kernel.AddressRemoved(ClientToken, 5);
        _kernel.AddSignalEndpoint(3, IpAddress.Parse("10.0.6.1"), 0);
        Assert.Equal(K.Agree, Assert.Single(Check().Findings).Kind);
    }

    [Fact]
    public void Joins_of_a_connection_older_than_the_capture_meet_the_connection_listed_at_the_start()
    {
        // Only the join is on the wire: an orphan group with the server's token.
        Send(C2, 40001, S1, 80, Syn, O.JoinSyn(2, ServerToken));
        Send(S1, 80, C2, 40001, SynAck, O.JoinSynAck(0));
        _kernel.ConnectionExisting(ServerToken, Server, Initial);
        _kernel.SubflowExisting(ServerToken, Server, Initial, 0, 0, false, initial: true);
        _kernel.SubflowEstablished(ServerToken, Server, Join, 0, 2, false);
        MptcpPmFinding f = Assert.Single(Check().Findings);
        Assert.Equal("agree\t0\tccad45ac\tserver\t-\tsf=2,add=0,rm=0\tsf=1,add=0,rm=0", Row(f));

        _kernel.SubflowEstablished(ServerToken, Server, End(C2, 40003), 0, 2, false);
        Assert.Equal(K.SubflowKernelOnly, Assert.Single(Check().Findings).Kind);
    }

    [Fact]
    public void Lost_events_are_a_note_at_the_end()
    {
        Wire();
        ClientKernel();
        _kernel.EventsLost = 2;
        MptcpPmCheckResult r = Check();
        Assert.Equal("events_lost\t-\t-\t-\t-\toverruns=2\t-", Row(r.Findings[^1]));
        Assert.Equal(0, r.Discrepancies);
    }

    [Fact]
    public void A_reused_token_meets_the_wire_connection_with_the_same_ends()
    {
        Wire();
        ClientKernel();
        // Later, the same keys again (the same token) from another port: a second wire connection.
        Send(C1, 40100, S1, 80, Syn, O.CapableSyn());
        Send(S1, 80, C1, 40100, SynAck, O.CapableSynAck(ServerKey));
        Send(C1, 40100, S1, 80, Ack, O.CapableAck(ClientKey, ServerKey));
        MptcpPmCheckResult r = Check();
        Assert.Equal([(K.Agree, (int?)0), (K.NotEndpoint, 1)], r.Findings.Select(f => (f.Kind, f.Connection?.Index)));
        _kernel.ConnectionCreated(ClientToken, End(C1, 40100), Server, serverSide: false);
        Assert.Equal([(K.Agree, (int?)0), (K.Agree, 1)], Check().Findings.Select(f => (f.Kind, f.Connection?.Index)));
    }

    [Fact]
    public void Tsv_adds_a_second_table_and_json_wraps_the_connections()
    {
        Wire();
        ClientKernel();
        _kernel.AddSignalEndpoint(3, IpAddress.Parse("10.0.6.1"), 0);
        MptcpPmCheckResult r = Check();
        var tsv = new StringWriter();
        MptcpConnectionWriter.WriteTsv(tsv, _wire.Connections, r);
        string[] parts = tsv.ToString().Split("\n\n");
        var plain = new StringWriter();
        MptcpConnectionWriter.WriteTsv(plain, _wire.Connections);
        Assert.Equal(plain.ToString(), parts[0] + "\n");
        Assert.Equal("pm_check\tconn\ttoken\tside\tsubject\tkernel\twire\nsignal_missing\t0\t66840dda\tclient\tid3=10.0.6.1\tsignal\t-\n", parts[1]);

        using var json = new MemoryStream();
        MptcpConnectionWriter.WriteJson(json, _wire.Connections, r);
        using JsonDocument doc = JsonDocument.Parse(json.ToArray());
        Assert.Equal(1, doc.RootElement.GetProperty("connections").GetArrayLength());
        JsonElement check = doc.RootElement.GetProperty("pm_check");
        Assert.Equal(1, check.GetProperty("discrepancies").GetInt32());
        Assert.Equal(6, check.GetProperty("events").GetInt32());
        JsonElement finding = Assert.Single(check.GetProperty("findings").EnumerateArray());
        Assert.Equal(("signal_missing", true, "66840dda", "id3=10.0.6.1"), (finding.GetProperty("check").GetString(),
            finding.GetProperty("discrepancy").GetBoolean(), finding.GetProperty("token").GetString(), finding.GetProperty("subject").GetString()));
        JsonElement k = Assert.Single(check.GetProperty("kernel_connections").EnumerateArray());
        Assert.Equal(["10.0.0.1:40000-10.0.0.2:80", "10.0.1.1:40001-10.0.0.2:80"],
            k.GetProperty("subflows").EnumerateArray().Select(s => s.GetProperty("local").GetString() + "-" + s.GetProperty("remote").GetString()));
        Assert.Equal(5, Assert.Single(k.GetProperty("announced").EnumerateArray()).GetProperty("id").GetInt32());
    }
}
