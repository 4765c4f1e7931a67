using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// <c>flows mptcp</c> on the corpus captures with MPTCP against tshark 4.0 (<see cref="TsharkMptcp"/>): the grouping
/// of <c>tcp.stream</c>s into connections equals tshark's <c>mptcp.stream</c>, keys, tokens and IDSNs equal tshark's,
/// and bytes per direction equal tshark's <c>tcp.len</c> sums. Flows with MPTCP options that tshark puts in no
/// <c>mptcp.stream</c> are exactly our fallback rows (tshark keeps no MPTCP state for a refused MP_CAPABLE).
/// </summary>
public sealed class MptcpCorpusTests
{
    [ToolFact("tshark")]
    public void Linux_6_18_version_1_with_fallbacks() =>
        Connections_match_tshark("gen__mptcp_any_sll2.pcap", connections: 2, fallbacks: 5); // tcp.stream 5-9: MP_CAPABLE client, plain-TCP server

    [ToolFact("tshark")]
    public void Out_of_tree_version_0_with_16_subflows() =>
        Connections_match_tshark("pub__mptcp__client_2_sll.pcap", connections: 4, fallbacks: 0);

    [ToolFact("tshark")]
    public void Ppp_link_version_0_with_unanswered_joins() =>
        Connections_match_tshark("pub__mptcp__iperf_mptcp_0_0.pcap", connections: 1, fallbacks: 0); // tcp.stream 1 and 3: join SYNs never answered

    [ToolFact("tshark")]
    public void Linux_6_18_IPv6_join_to_an_announced_address_that_is_then_removed()
    {
        // lab__mptcp_v6_sll2 (Fixtures/Captures/lab/variety.sh mptcp_v6): the server's signal endpoint id 5 goes out
        // as ADD_ADDR, the client's subflow endpoint id 2 joins it, and deleting the endpoint sends REMOVE_ADDR.
        MptcpConnectionTracker tracker = Capture_matches_tshark(LabCaptures.Resolve("lab__mptcp_v6_sll2.pcap"), connections: 1, fallbacks: 0);
        MptcpConnection c = Assert.Single(tracker.Connections);
        Assert.Equal(1, c.Version);
        Assert.Equal(2, c.Subflows.Count);
        MptcpSubflow join = c.Subflows[1];
        Assert.Equal((MptcpPeer.Client, (byte?)2, IpAddress.Parse("fd78:2::1"), IpAddress.Parse("fd78:2::2")),
            (join.OpenedBy, join.OpenerAddressId, join.OpenerAddress, join.ResponderAddress));
        Assert.Equal(
            [(MptcpPeer.Server, (byte)5, IpAddress.Parse("fd78:2::2"), false), (MptcpPeer.Client, (byte)5, IpAddress.Parse("fd78:2::2"), true)],
            c.AddedAddresses.Select(a => (a.Sender, a.AddressId, a.Address, a.Echo)));
        Assert.Equal([(MptcpPeer.Server, (byte)5)], c.RemovedAddresses);
        Assert.True(c.DataFin(MptcpPeer.Client) && c.DataFin(MptcpPeer.Server));
    }

    private static void Connections_match_tshark(string file, int connections, int fallbacks) =>
        Capture_matches_tshark(SharedPaths.RequireShared("corpus", file), connections, fallbacks);

    private static MptcpConnectionTracker Capture_matches_tshark(string path, int connections, int fallbacks)
    {
        MptcpConnectionTracker tracker = Track(path);
        List<TsharkMptcp.Frame> frames = TsharkMptcp.Read(path);
        Compare(tracker, frames);
        Assert.Equal(connections, tracker.Connections.Count(c => c.Kind == MptcpConnectionKind.Mptcp));
        Assert.Equal(fallbacks, tracker.Connections.Count(c => c.Kind == MptcpConnectionKind.Fallback));
        Assert.Equal(0, tracker.MalformedOptions);
        Assert.Equal(0, tracker.UnattributedSegments);
        Assert.All(tracker.Connections.Where(c => c.Kind == MptcpConnectionKind.Mptcp), c => Assert.Equal(MptcpFallback.None, c.Fallback)); // real stacks map their first data
        return tracker;
    }

    internal static MptcpConnectionTracker Track(string path)
    {
        var tracker = new MptcpConnectionTracker();
        using PacketSource source = CaptureFile.Open(path);
        while (source.TryReadNext(out Packet p))
            tracker.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds);
        return tracker;
    }

    /// <summary>Asserts that the tracker's MPTCP connections and fallbacks are tshark's.</summary>
    internal static void Compare(MptcpConnectionTracker tracker, List<TsharkMptcp.Frame> frames, bool allowAttempts = false)
    {
        List<TsharkMptcp.Connection> expected = TsharkMptcp.Connections(frames);
        Assert.NotEmpty(expected);
        Assert.DoesNotContain(tracker.Connections, c => c.Kind == MptcpConnectionKind.Orphan || (c.Kind == MptcpConnectionKind.Attempt && !allowAttempts));
        List<MptcpConnection> ours = [.. tracker.Connections.Where(c => c.Kind == MptcpConnectionKind.Mptcp)];
        Assert.Equal(
            expected.Select(e => string.Join(',', e.Streams)).Order(),
            ours.Select(c => string.Join(',', c.Subflows.Select(s => s.Stream).Order())).Order());
        foreach (TsharkMptcp.Connection e in expected)
        {
            MptcpConnection c = ours.Single(o => o.Subflows.Any(s => s.Stream == e.Streams[0]));
            Assert.Equal((e.ClientKey, e.ServerKey), (c.ClientKey, c.ServerKey));
            Assert.Equal((e.ClientToken, e.ServerToken), (c.ClientToken, c.ServerToken));
            Assert.Equal((e.ClientIdsn, e.ServerIdsn), (c.ClientIdsn, c.ServerIdsn));
            Assert.Equal((e.BytesC2s, e.BytesS2c), (c.Bytes(MptcpPeer.Client), c.Bytes(MptcpPeer.Server)));
            foreach (MptcpSubflow s in c.Subflows)
                Assert.Equal(e.StreamBytes[checked((int)s.Stream)], (s.Bytes(MptcpPeer.Client), s.Bytes(MptcpPeer.Server)));
        }

        // Flows with MPTCP options but no mptcp.stream: each an MP_CAPABLE SYN refused by a SYN/ACK without MPTCP options.
        var refused = frames.GroupBy(f => f.Stream)
            .Where(g => g.Any(f => f.HasMptcp) && g.All(f => f.MptcpStream is null))
            .ToDictionary(g => g.Key, g => g.ToList());
        List<MptcpConnection> fallbacks = [.. tracker.Connections.Where(c => c.Kind == MptcpConnectionKind.Fallback)];
        Assert.Equal(refused.Keys.Select(k => (long)k).Order(), fallbacks.Select(c => Assert.Single(c.Subflows).Stream).Order());
        foreach (MptcpConnection c in fallbacks)
        {
            List<TsharkMptcp.Frame> stream = refused[checked((int)c.Subflows[0].Stream)];
            Assert.Contains(stream, f => f.Syn && f.Ack && !f.HasMptcp);
            string client = TsharkMptcp.SynSender(stream)!;
            Assert.Equal(
                (stream.Where(f => f.Source == client).Sum(f => (long)f.Length), stream.Where(f => f.Source != client).Sum(f => (long)f.Length)),
                (c.Bytes(MptcpPeer.Client), c.Bytes(MptcpPeer.Server)));
        }
    }
}
