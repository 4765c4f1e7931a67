using Tributary.Capture;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;
using Xunit.Abstractions;
using O = Tributary.Flows.Tests.Mptcp.MptcpOptions;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// Soak of <c>flows mptcp -i</c>: live, the <c>tcp.stream</c> numbering forgets plain TCP flows (quiet for 10 minutes,
/// or the least recent beyond 262,144) but never the subflows of a connection; a file keeps every 4-tuple, as tshark.
/// </summary>
public sealed class MptcpLongRunTests(ITestOutputHelper output)
{
    private const ulong ClientKey = 0x0102030405060708, ServerKey = 0x1112131415161718;
    private const uint ServerToken = 0xccad45ac; // of ServerKey, version 1 (MptcpKeysTests)
    private const string C1 = "10.200.0.1", C2 = "10.200.1.1", S1 = "10.200.0.2";
    private const byte Syn = Frames.Syn, Ack = Frames.Ack, SynAck = Frames.Syn | Frames.Ack;
    private const long Minute = 60_000_000_000;

    private static void Send(MptcpConnectionTracker t, long ns, string src, ushort sport, string dst, ushort dport, byte flags, uint seq,
        byte[] options, int payload = 0)
    {
        byte[] frame = Frames.Tcp(src, sport, dst, dport, flags, seq, 1, Frames.Bytes('x', payload), options: options);
        t.Add(frame, LinkType.Ethernet, frame.Length, ns);
    }

    /// <summary>An MPTCP connection C1:40000 → S1:80 and a join from C2:40001, at <paramref name="ns"/>.</summary>
    private static void Connection(MptcpConnectionTracker t, long ns)
    {
        Send(t, ns, C1, 40000, S1, 80, Syn, 100, O.CapableSyn());
        Send(t, ns + 1000, S1, 80, C1, 40000, SynAck, 500, O.CapableSynAck(ServerKey));
        Send(t, ns + 2000, C1, 40000, S1, 80, Ack, 101, O.CapableAck(ClientKey, ServerKey));
        Send(t, ns + 3000, C2, 40001, S1, 80, Syn, 200, O.JoinSyn(2, ServerToken));
        Send(t, ns + 4000, S1, 80, C2, 40001, SynAck, 600, O.JoinSynAck(0));
        Send(t, ns + 5000, C2, 40001, S1, 80, Ack, 201, O.JoinAck());
    }

    /// <summary>Data on both subflows of <see cref="Connection"/>, at <paramref name="ns"/>.</summary>
    private static void Data(MptcpConnectionTracker t, long ns)
    {
        Send(t, ns, C1, 40000, S1, 80, Ack, 101, O.Mapping(1, 1, 10), payload: 10);
        Send(t, ns + 1000, C2, 40001, S1, 80, Ack, 201, O.Mapping(11, 1, 10), payload: 10);
    }

    private static void Churn(MptcpConnectionTracker t, int connections, long startNs)
    {
        foreach ((byte[] frame, long us) in Support.Churn.Connections(connections))
            t.Add(frame, LinkType.Ethernet, frame.Length, startNs + (us - Support.Churn.StartUs) * 1000);
    }

    /// <summary>A live run never ends: past 2³¹ TCP flows its <c>tcp.stream</c> numbers go on, and a connection's subflows still meet.</summary>
    [Fact]
    public void Tcp_stream_numbers_go_past_the_int_range()
    {
        var t = new MptcpConnectionTracker(live: true);
        t.Streams.Count = int.MaxValue;
        Connection(t, 0);
        Data(t, Minute);
        MptcpConnection c = Assert.Single(t.Connections);
        Assert.Equal([int.MaxValue, int.MaxValue + 1L], c.Subflows.Select(s => s.Stream));
        Assert.Equal(20, c.Bytes(MptcpPeer.Client));
        Assert.Equal(int.MaxValue + 2L, t.Streams.Count);
    }

    [Fact]
    public void Live_plain_flows_beyond_the_most_tracked_are_forgotten_subflows_are_not()
    {
        // 300k short plain flows in ~4 minutes of capture time (below the idle limit) after an MPTCP connection that
        // then stays quiet: only the cap forgets. A file remembers them all.
        const int Flows = 300_000;
        var live = new MptcpConnectionTracker(live: true);
        var file = new MptcpConnectionTracker();
        foreach (MptcpConnectionTracker t in new[] { live, file })
        {
            Connection(t, 0);
            Churn(t, Flows, 1_000_000);
            Data(t, 5 * Minute);
        }
        output.WriteLine($"live: {live.TrackedTcpFlows} tracked, {live.ForgottenTcpFlows} forgotten; file: {file.TrackedTcpFlows} tracked");

        Assert.Equal(Flows + 2, file.TrackedTcpFlows);
        Assert.Equal(0, file.ForgottenTcpFlows);
        Assert.True(live.TrackedTcpFlows <= MptcpConnectionTracker.LiveMaxPlainFlows + 2, $"{live.TrackedTcpFlows}");
        Assert.Equal(Flows + 2 - live.TrackedTcpFlows, live.ForgottenTcpFlows);
        foreach (MptcpConnectionTracker t in new[] { live, file })
        {
            // The quiet subflows kept their tcp.stream (0 and 1): the late data counts for the connection.
            MptcpConnection c = Assert.Single(t.Connections);
            Assert.Equal([0, 1], c.Subflows.Select(s => s.Stream));
            Assert.Equal(6, c.Packets(MptcpPeer.Client));
            Assert.Equal(20, c.Bytes(MptcpPeer.Client));
            Assert.Equal(0, t.UnattributedSegments);
        }
    }

    [Fact]
    public void Live_a_plain_flow_quiet_for_ten_minutes_is_forgotten_a_subflow_is_not()
    {
        var live = new MptcpConnectionTracker(live: true);
        var file = new MptcpConnectionTracker();
        foreach (MptcpConnectionTracker t in new[] { live, file })
        {
            Connection(t, 0); // streams 0 and 1
            Churn(t, 3, Minute); // streams 2, 3, 4: closed at ~1 minute
            Send(t, 2 * Minute, "10.9.9.9", 5000, "10.9.9.8", 22, Ack, 7, []); // stream 5: mid-stream, then quiet
            Send(t, 11 * Minute, "10.9.9.1", 5001, "10.9.9.8", 22, Ack, 7, []); // stream 6: 10 min after stream 2 to 4
            Send(t, 12 * Minute - 1, "10.9.9.9", 5000, "10.9.9.8", 22, Ack, 8, []); // stream 5 again, just in time
            Send(t, 22 * Minute, "10.9.9.9", 5000, "10.9.9.8", 22, Ack, 9, []); // 10 min after: a new flow, live
            Data(t, 22 * Minute + 1000);
        }

        // At 11 min, streams 2 to 4 had been quiet for 10 minutes; at 22 min, streams 5 (last packet at 12 min - 1 ns:
        // it was not forgotten then) and 6. The subflows, quiet for 22 minutes, keep their numbers (0, 1).
        Assert.Equal(5, live.ForgottenTcpFlows);
        Assert.Equal(3, live.TrackedTcpFlows); // 0, 1, and stream 5's 4-tuple numbered anew (7)
        Assert.Equal(0, file.ForgottenTcpFlows);
        Assert.Equal(7, file.TrackedTcpFlows); // 0 to 6
        foreach (MptcpConnectionTracker t in new[] { live, file })
        {
            MptcpConnection c = Assert.Single(t.Connections);
            Assert.Equal([0, 1], c.Subflows.Select(s => s.Stream));
            Assert.Equal(20, c.Bytes(MptcpPeer.Client));
        }
    }
}
