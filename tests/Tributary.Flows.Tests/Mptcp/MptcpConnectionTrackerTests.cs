using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;
using O = Tributary.Flows.Tests.Mptcp.MptcpOptions;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// The tracker on hand-built frames: the MP_CAPABLE exchange (RFC 8684 §3.1), joins from either end (§3.2), address
/// signalling (§3.4), fallback (§3.7), joins to an unknown token, and hostile option bytes.
/// </summary>
public sealed class MptcpConnectionTrackerTests
{
    // Keys and their tokens (Python hashlib, see MptcpKeysTests): version 1 uses SHA-256, version 0 SHA-1.
    private const ulong ClientKey = 0x0102030405060708, ServerKey = 0x1112131415161718;
    private const uint ClientTokenV1 = 0x66840dda, ServerTokenV1 = 0xccad45ac;
    private const uint ClientTokenV0 = 0xdd5783bc, ServerTokenV0 = 0x3383d918;

    private const string C1 = "10.0.0.1", C2 = "10.0.1.1", S1 = "10.0.0.2", S2 = "10.0.2.2";
    private const byte Syn = Frames.Syn, Ack = Frames.Ack, SynAck = Frames.Syn | Frames.Ack, Fin = Frames.Fin, Rst = Frames.Rst;

    private readonly MptcpConnectionTracker _tracker = new();
    private long _time = 1_000_000_000;

    private void Send(string src, ushort sport, string dst, ushort dport, byte flags, uint seq, byte[] options, int payload = 0)
    {
        byte[] frame = Frames.Tcp(src, sport, dst, dport, flags, seq, 1, Frames.Bytes('x', payload), options: options);
        _tracker.Add(frame, LinkType.Ethernet, frame.Length, _time += 1000);
    }

    /// <summary>The initial subflow C1:40000 → S1:80 with keys exchanged in version <paramref name="version"/>.</summary>
    private void Handshake(int version = 1)
    {
        Send(C1, 40000, S1, 80, Syn, 100, version == 0 ? O.CapableSynV0(ClientKey) : O.CapableSyn(version));
        Send(S1, 80, C1, 40000, SynAck, 500, O.CapableSynAck(ServerKey, version));
        Send(C1, 40000, S1, 80, Ack, 101, O.CapableAck(ClientKey, ServerKey, version));
    }

    [Fact]
    public void A_version_1_connection_with_joins_from_both_ends_and_address_signalling()
    {
        Handshake();
        Send(C1, 40000, S1, 80, Ack, 101, O.Mapping(1, 1, 100), payload: 100); // first data: mapped, no fallback (§3.7)
        // The client joins from its second address (token of the server) ...
        Send(C2, 40001, S1, 80, Syn, 200, O.JoinSyn(2, ServerTokenV1, backup: true));
        Send(S1, 80, C2, 40001, SynAck, 600, O.JoinSynAck(0));
        Send(C2, 40001, S1, 80, Ack, 201, O.JoinAck());
        // ... the server advertises its second address, the client echoes it ...
        Send(S1, 80, C1, 40000, Ack, 501, [.. O.AddAddress(5, S2, port: 8080), .. O.Mapping(1, 1, 10)], payload: 10);
        Send(S1, 80, C1, 40000, Ack, 511, O.AddAddress(5, S2, port: 8080)); // retransmitted: counted, not listed twice
        Send(C1, 40000, S1, 80, Ack, 201, O.AddAddress(5, S2, port: 8080, echo: true));
        // ... and opens a subflow from it towards the client (token of the client).
        Send(S2, 50000, C2, 40002, Syn, 300, O.JoinSyn(5, ClientTokenV1));
        Send(C2, 40002, S2, 50000, SynAck, 700, O.JoinSynAck(2, backup: true));
        Send(S2, 50000, C2, 40002, Ack, 301, O.JoinAck(), payload: 7);
        Send(C2, 40001, S1, 80, Ack, 201, O.Priority(backup: false), payload: 30);
        Send(C1, 40000, S1, 80, Ack, 231, O.RemoveAddress(2, 3));
        Send(C1, 40000, S1, 80, Ack | Fin, 231, O.DataFin());
        Send(S1, 80, C1, 40000, Ack | Fin, 511, O.DataFin());

        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal(MptcpConnectionKind.Mptcp, c.Kind);
        Assert.Equal(1, c.Version);
        Assert.Equal(ClientKey, c.ClientKey);
        Assert.Equal(ServerKey, c.ServerKey);
        Assert.Equal(ClientTokenV1, c.ClientToken);
        Assert.Equal(ServerTokenV1, c.ServerToken);
        Assert.Equal(0xf5a101d3d29d6f72UL, c.ClientIdsn);
        Assert.Equal(0x535beea38e087c8eUL, c.ServerIdsn);
        Assert.Equal([0, 1, 2], c.Subflows.Select(s => s.Stream));

        MptcpSubflow initial = c.Subflows[0], fromClient = c.Subflows[1], fromServer = c.Subflows[2];
        Assert.True(initial.IsInitial);
        Assert.True(initial.Established);
        Assert.Equal(MptcpPeer.Client, fromClient.OpenedBy);
        Assert.Equal((byte?)2, fromClient.OpenerAddressId);
        Assert.Equal((byte?)0, fromClient.ResponderAddressId);
        Assert.False(fromClient.OpenerBackup); // backup in the SYN, cleared by MP_PRIO (§3.3.8)
        Assert.Equal(MptcpPeer.Server, fromServer.OpenedBy);
        Assert.Equal(IpAddress.Parse(S2), fromServer.OpenerAddress);
        Assert.Equal((byte?)5, fromServer.OpenerAddressId);
        Assert.True(fromServer.ResponderBackup);
        Assert.True(fromServer.Established);
        Assert.Equal(1, c.Priority(MptcpPeer.Client));

        // Bytes by MPTCP end, over all subflows: 100 + 30 from the client; 10 + 7 from the server (its subflow's opener).
        Assert.Equal(130, c.Bytes(MptcpPeer.Client));
        Assert.Equal(17, c.Bytes(MptcpPeer.Server));
        Assert.Equal(7, fromServer.Bytes(MptcpPeer.Server));
        Assert.Equal(0, fromServer.Bytes(MptcpPeer.Client));

        Assert.Equal(2, c.AddedAddresses.Count);
        Assert.Equal((MptcpPeer.Server, (byte)5, IpAddress.Parse(S2), (ushort)8080, false, 2),
            (c.AddedAddresses[0].Sender, c.AddedAddresses[0].AddressId, c.AddedAddresses[0].Address, c.AddedAddresses[0].Port, c.AddedAddresses[0].Echo, c.AddedAddresses[0].Count));
        Assert.Equal((MptcpPeer.Client, true), (c.AddedAddresses[1].Sender, c.AddedAddresses[1].Echo));
        Assert.Equal([(MptcpPeer.Client, (byte)2), (MptcpPeer.Client, (byte)3)], c.RemovedAddresses);
        Assert.True(c.DataFin(MptcpPeer.Client));
        Assert.True(c.DataFin(MptcpPeer.Server));
        Assert.Equal(0, c.MalformedOptions);

        string row = Row(c);
        Assert.Equal("0\tmptcp\t1\t10.0.0.1\t40000\t10.0.0.2\t80\t66840dda\tccad45ac\t3\t0,1,2\t10\t7\t130\t17\ts5=10.0.2.2:8080+echo\tc2,c3\t1\t1\tboth\tnone\t0\t0\t0\t-", row);
    }

    [Fact]
    public void Version_0_takes_the_client_key_from_the_SYN_and_hashes_with_SHA1()
    {
        Send(C1, 40000, S1, 80, Syn, 100, O.CapableSynV0(ClientKey));
        Send(S1, 80, C1, 40000, SynAck, 500, O.CapableSynAck(ServerKey, version: 0));
        // No third ACK captured: the SYN's key is enough for joins towards the client.
        Send(S1, 80, C2, 40002, Syn, 300, O.JoinSyn(1, ClientTokenV0));
        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal((0, ClientTokenV0, ServerTokenV0), (c.Version, c.ClientToken, c.ServerToken));
        Assert.Equal(MptcpPeer.Server, c.Subflows[1].OpenedBy);
    }

    [Fact]
    public void The_SYN_ACK_chooses_the_version_the_tokens_are_computed_with()
    {
        Send(C1, 40000, S1, 80, Syn, 100, O.CapableSyn(version: 1));
        Send(S1, 80, C1, 40000, SynAck, 500, O.CapableSynAck(ServerKey, version: 0));
        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal((0, (uint?)ServerTokenV0), (c.Version, c.ServerToken));
    }

    [Fact]
    public void An_MP_CAPABLE_SYN_answered_without_MP_CAPABLE_is_a_fallback_and_takes_no_joins()
    {
        Send(C1, 40000, S1, 80, Syn, 100, O.CapableSyn());
        Send(S1, 80, C1, 40000, SynAck, 500, []);
        Send(C1, 40000, S1, 80, Ack, 101, [], payload: 5);
        Send(C1, 40001, S1, 80, Syn, 100, O.CapableSyn()); // unanswered
        MptcpConnection fallback = _tracker.Connections[0], attempt = _tracker.Connections[1];
        Assert.Equal(MptcpConnectionKind.Fallback, fallback.Kind);
        Assert.True(fallback.Subflows[0].Refused);
        Assert.Equal(MptcpFallback.Handshake, fallback.Fallback);
        Assert.Null(fallback.ServerToken);
        Assert.Equal(5, fallback.Bytes(MptcpPeer.Client));
        Assert.Equal(MptcpConnectionKind.Attempt, attempt.Kind);
        Assert.StartsWith("0\tfallback\t1\t10.0.0.1\t40000\t10.0.0.2\t80\t-\t-\t1\t0\t", Row(fallback), StringComparison.Ordinal);
    }

    [Fact]
    public void Joins_to_a_token_no_captured_handshake_gave_are_grouped_by_that_token()
    {
        Send(C2, 40001, S1, 80, Syn, 200, O.JoinSyn(2, 0xdeadbeef));
        Send(S1, 80, C2, 40001, SynAck, 600, O.JoinSynAck(0));
        Send(C2, 40001, S1, 80, Ack, 201, O.DataAck(), payload: 9);
        Send(C2, 40003, S2, 80, Syn, 400, O.JoinSyn(3, 0xdeadbeef));
        Send(C2, 40004, S2, 80, Syn, 400, O.JoinSyn(3, 0x12345678));
        Assert.Equal(2, _tracker.Connections.Count);
        MptcpConnection c = _tracker.Connections[0];
        Assert.Equal(MptcpConnectionKind.Orphan, c.Kind);
        Assert.Null(c.Version);
        Assert.Equal(0xdeadbeefU, c.ServerToken);
        Assert.Equal([0, 1], c.Subflows.Select(s => s.Stream));
        Assert.Equal(9, c.Bytes(MptcpPeer.Client));
        Assert.Equal("0\torphan\t-\t10.0.1.1\t40001\t10.0.0.2\t80\t-\tdeadbeef\t2\t0,1", string.Join('\t', Row(c).Split('\t')[..11]));
    }

    [Fact]
    public void Fast_close_fail_and_TCP_reset_reasons_are_recorded_per_end()
    {
        Handshake();
        Send(C1, 40000, S1, 80, Ack, 101, O.Fail());
        Send(S1, 80, C1, 40000, Ack | Rst, 501, O.TcpReset(4));
        Send(C1, 40000, S1, 80, Ack | Rst, 101, O.FastClose(ServerKey));
        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal((1, 0), (c.Fail(MptcpPeer.Client), c.Fail(MptcpPeer.Server)));
        Assert.Equal(1, c.TcpReset(MptcpPeer.Server));
        Assert.Equal((byte?)4, c.Subflows[0].ResetReason);
        Assert.Equal((1, 0), (c.FastClose(MptcpPeer.Client), c.FastClose(MptcpPeer.Server)));
        Assert.True(c.Subflows[0].Rst(MptcpPeer.Client));
        Assert.Equal("c2s", Row(c).Split('\t')[20]);
    }

    [Fact]
    public void A_capture_that_starts_after_the_SYN_ACK_finds_the_keys_in_the_third_ACK()
    {
        Send(C1, 40000, S1, 80, Ack, 101, O.CapableAck(ClientKey, ServerKey));
        Send(C2, 40001, S1, 80, Syn, 200, O.JoinSyn(2, ServerTokenV1));
        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal((MptcpConnectionKind.Mptcp, (uint?)ClientTokenV1, (uint?)ServerTokenV1), (c.Kind, c.ClientToken, c.ServerToken));
        Assert.Equal(2, c.Subflows.Count);
    }

    [Fact]
    public void Hostile_options_are_counted_not_thrown_on()
    {
        Handshake();
        Send(C1, 40000, S1, 80, Ack, 101, [30, 7, 0x00, 0x01, 1, 2, 3]);         // MP_CAPABLE of a length no version has
        Send(C1, 40000, S1, 80, Ack, 101, [30, 13, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // MP_JOIN of length 13
        Send(C1, 40000, S1, 80, Ack, 101, [30, 2]);                               // no subtype byte
        Send(C1, 40000, S1, 80, Ack, 101, [1, 30, 40, 0x20]);                     // length beyond the option area
        Send(C1, 40000, S1, 80, Ack, 101, [30, 5, 0x30, 1, 10]);                  // ADD_ADDR with 1 address byte
        Send(C2, 40001, S1, 80, Ack, 101, [30, 7, 0x00, 0x01, 1, 2, 3]);          // on a flow no connection has
        MptcpConnection c = Assert.Single(_tracker.Connections);
        Assert.Equal(5, c.MalformedOptions);
        Assert.Equal(6, _tracker.MalformedOptions);
        Assert.Equal(1, _tracker.UnattributedSegments);
        Assert.Empty(c.AddedAddresses);
    }

    [Fact]
    public void Random_option_bytes_never_throw()
    {
        var random = new Random(8684);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] options = new byte[random.Next(1, 41)];
            random.NextBytes(options);
            options[0] = 30;
            if (options.Length > 2)
                options[2] = (byte)(random.Next(0, 10) << 4 | (options[2] & 0x0F));
            byte flags = (byte)random.Next(0, 32);
            Send(random.Next(2) == 0 ? C1 : S1, (ushort)random.Next(40000, 40008), random.Next(2) == 0 ? S1 : C2, 80, flags, (uint)random.Next(), options, payload: random.Next(0, 3));
        }
        Assert.True(_tracker.MalformedOptions > 0);
        Assert.True(_tracker.Connections.Count > 0);
        using var json = new MemoryStream();
        MptcpConnectionWriter.WriteJson(json, _tracker.Connections);
        MptcpConnectionWriter.WriteTsv(TextWriter.Null, _tracker.Connections);
    }

    [Fact]
    public void Connections_beyond_the_cap_are_counted_not_kept()
    {
        for (int i = 0; i <= MptcpConnectionTracker.MaxConnections; i++)
            Send("10.1.0.1", (ushort)(1024 + i % 60000), "10.2.0.1", (ushort)(80 + i / 60000), Syn, 1, O.CapableSyn());
        Assert.Equal(MptcpConnectionTracker.MaxConnections, _tracker.Connections.Count);
        Assert.Equal(1, _tracker.DroppedConnections);
    }

    private static string Row(MptcpConnection c) => string.Join('\t', MptcpConnectionWriter.Values(c));
}
