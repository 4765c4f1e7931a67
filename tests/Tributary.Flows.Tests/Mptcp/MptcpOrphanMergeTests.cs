using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;
using O = Tributary.Flows.Tests.Mptcp.MptcpOptions;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// Joins captured before the MP_CAPABLE exchange that gives their token (a capture of several interfaces delivers
/// paths out of order; a capture may start between them) are an orphan group only until that exchange: then they
/// merge into its connection, as tshark 4.0 puts them in its <c>mptcp.stream</c> when the join's token is the first
/// one tshark learns for the connection (checked on the same file); tshark keeps a join apart when its token is learned
/// second (the client's, from the third ACK), where the tracker still merges it.
/// </summary>
public sealed class MptcpOrphanMergeTests
{
    private const ulong ClientKey = 0x0102030405060708, ServerKey = 0x1112131415161718;
    private const uint ClientToken = 0x66840dda, ServerToken = 0xccad45ac;
    private const string C1 = "10.0.0.1", C2 = "10.0.1.1", S1 = "10.0.0.2", S2 = "10.0.2.2";
    private const byte Syn = Frames.Syn, Ack = Frames.Ack, SynAck = Frames.Syn | Frames.Ack;

    [ToolFact("tshark")]
    public void A_clients_join_seen_before_the_handshake_merges_into_its_connection()
    {
        using var capture = new MptcpCraftedCaptures("orphan-client");
        capture.Send(C2, 40001, S1, 80, Syn, 200, 0, O.JoinSyn(2, ServerToken));
        capture.Send(S1, 80, C2, 40001, SynAck, 600, 201, O.JoinSynAck(0));
        capture.Send(C2, 40001, S1, 80, Ack, 201, 601, O.JoinAck());
        capture.Send(S1, 80, C2, 40001, Ack, 601, 201, O.AddAddress(5, S2), payload: 3); // the server's signal, on the join
        capture.Send(C1, 40000, S1, 80, Syn, 100, 0, O.CapableSyn());
        capture.Send(S1, 80, C1, 40000, SynAck, 500, 101, O.CapableSynAck(ServerKey));
        capture.Send(C1, 40000, S1, 80, Ack, 101, 501, O.CapableAck(ClientKey, ServerKey), payload: 10);
        capture.Send(C2, 40001, S1, 80, Ack, 201, 604, O.DataAck(), payload: 7);
        MptcpConnectionTracker tracker = Compare(capture.Write());

        MptcpConnection c = Assert.Single(tracker.Connections);
        Assert.Equal((0, MptcpConnectionKind.Mptcp, ClientToken, ServerToken), (c.Index, c.Kind, c.ClientToken, c.ServerToken));
        Assert.Equal([1, 0], c.Subflows.Select(s => s.Stream)); // the initial subflow first
        MptcpSubflow join = c.Subflows[1];
        Assert.Equal((MptcpPeer.Client, (byte?)2, (byte?)0, true), (join.OpenedBy, join.OpenerAddressId, join.ResponderAddressId, join.Established));
        Assert.Equal((17L, 3L), (c.Bytes(MptcpPeer.Client), c.Bytes(MptcpPeer.Server)));
        Assert.Equal((MptcpPeer.Server, (byte)5), (Assert.Single(c.AddedAddresses).Sender, c.AddedAddresses[0].AddressId));
        Assert.Equal(1_001_000_000, c.FirstTimestampNanoseconds); // the join's first packet
        Assert.Equal("0\tmptcp\t1\t10.0.0.1\t40000\t10.0.0.2\t80\t66840dda\tccad45ac\t2\t1,0\t5\t3\t17\t3\ts5=10.0.2.2",
            string.Join('\t', MptcpConnectionWriter.Values(c).Take(16)));
    }

    [ToolFact("tshark")]
    public void A_servers_join_seen_before_the_third_ACK_merges_with_the_roles_swapped()
    {
        using var capture = new MptcpCraftedCaptures("orphan-server");
        capture.Send(C1, 40000, S1, 80, Syn, 100, 0, O.CapableSyn());
        capture.Send(S1, 80, C1, 40000, SynAck, 500, 101, O.CapableSynAck(ServerKey));
        capture.Send(C2, 40002, S1, 80, Syn, 900, 0, O.CapableSyn()); // another connection in between: its row moves up
        // The server joins towards the client (the client's token) before the capture shows the third ACK.
        capture.Send(S2, 50000, C2, 40003, Syn, 300, 0, O.JoinSyn(5, ClientToken));
        capture.Send(C2, 40003, S2, 50000, SynAck, 700, 301, O.JoinSynAck(2, backup: true));
        capture.Send(S2, 50000, C2, 40003, Ack, 301, 701, O.JoinAck(), payload: 7);
        capture.Send(C2, 40003, S2, 50000, Ack, 701, 308, O.DataAck(), payload: 2);
        capture.Send(C1, 40000, S1, 80, Ack, 101, 501, O.CapableAck(ClientKey, ServerKey), payload: 10);
        string pcap = capture.Write();
        MptcpConnectionTracker tracker = MptcpCorpusTests.Track(pcap);

        // tshark 4.0 links a join to a connection only through the first token it learns for it (here the server's, at
        // the SYN/ACK): this join, to the client's token, stays an mptcp.stream of its own. Deliberately not matched:
        // the join carries the connection's token, so it is one of its subflows.
        List<TsharkMptcp.Frame> frames = TsharkMptcp.Read(pcap);
        int? Of(int stream) => frames.First(f => f.Stream == stream && f.MptcpStream is not null).MptcpStream;
        Assert.NotEqual(Of(0), Of(2));
        Assert.Equal(ClientToken, frames.Single(f => f.Stream == 0 && f.SenderKey == ClientKey).ExpectedToken);

        Assert.Equal(2, tracker.Connections.Count);
        MptcpConnection c = tracker.Connections[0], other = tracker.Connections[1];
        Assert.Equal((0, 1), (c.Index, other.Index));
        Assert.Equal(MptcpConnectionKind.Attempt, other.Kind);
        Assert.Equal([0, 2], c.Subflows.Select(s => s.Stream));
        MptcpSubflow join = c.Subflows[1];
        Assert.Equal((MptcpPeer.Server, true), (join.OpenedBy, join.ResponderBackup));
        Assert.Equal((7L, 2L), (join.Bytes(MptcpPeer.Server), join.Bytes(MptcpPeer.Client)));
        Assert.Equal((12L, 7L), (c.Bytes(MptcpPeer.Client), c.Bytes(MptcpPeer.Server)));
    }

    /// <summary>The tracker's connections on the file equal tshark's (<see cref="MptcpCorpusTests.Compare"/>, which also allows no orphan left).</summary>
    private static MptcpConnectionTracker Compare(string pcap)
    {
        MptcpConnectionTracker tracker = MptcpCorpusTests.Track(pcap);
        List<TsharkMptcp.Frame> frames = TsharkMptcp.Read(pcap);
        MptcpCorpusTests.Compare(tracker, frames, allowAttempts: true);
        return tracker;
    }
}
