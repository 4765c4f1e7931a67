using System.Globalization;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Tests.Support;
using O = Tributary.Flows.Tests.Mptcp.MptcpOptions;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// Fallback to plain TCP after a completed MP_CAPABLE handshake (RFC 8684 §3.7), on crafted captures that tshark 4.0
/// reads too: the infinite mapping (tshark's <c>mptcp.dss.infinite_mapping</c> marks the same frame), and first data
/// without a mapping (tshark keeps no MPTCP state for a segment without MPTCP options, so it flags nothing there; it
/// is checked to be the connection's first data and to carry no option). A mapping that covers later segments, and
/// first data in the third ACK's MP_CAPABLE, are no fallback.
/// </summary>
public sealed class MptcpFallbackTests
{
    private const ulong ClientKey = 0x0102030405060708, ServerKey = 0x1112131415161718;
    private const string C1 = "10.0.0.1", S1 = "10.0.0.2";
    private const byte Syn = Frames.Syn, Ack = Frames.Ack, SynAck = Frames.Syn | Frames.Ack;

    private static void Handshake(MptcpCraftedCaptures capture)
    {
        capture.Send(C1, 40000, S1, 80, Syn, 100, 0, O.CapableSyn());
        capture.Send(S1, 80, C1, 40000, SynAck, 500, 101, O.CapableSynAck(ServerKey));
        capture.Send(C1, 40000, S1, 80, Ack, 101, 501, O.CapableAck(ClientKey, ServerKey));
    }

    /// <summary>The crafted writer puts frame N (1-based) at 1 s + N ms.</summary>
    private static int FrameOf(long timestampNanoseconds) => (int)((timestampNanoseconds - 1_000_000_000) / 1_000_000);

    [ToolFact("tshark")]
    public void An_infinite_mapping_after_MP_FAIL_is_a_fallback_where_tshark_marks_it()
    {
        using var capture = new MptcpCraftedCaptures("fallback-infinite");
        Handshake(capture);
        capture.Send(C1, 40000, S1, 80, Ack, 101, 501, O.Mapping(1, 1, 10), payload: 10);
        capture.Send(S1, 80, C1, 40000, Ack, 501, 111, O.Fail());
        capture.Send(C1, 40000, S1, 80, Ack, 111, 501, O.Mapping(11, 0, 0), payload: 10);
        capture.Send(C1, 40000, S1, 80, Ack, 121, 501, [], payload: 10);
        string pcap = capture.Write();

        MptcpConnection c = Assert.Single(MptcpCorpusTests.Track(pcap).Connections);
        Assert.Equal((MptcpConnectionKind.Mptcp, MptcpFallback.InfiniteMapping, 1), (c.Kind, c.Fallback, c.Fail(MptcpPeer.Server)));
        string[] marked = Tshark(pcap, "mptcp.dss.infinite_mapping").Where(f => f[1].Length > 0).Select(f => f[0]).ToArray();
        Assert.Equal(FrameOf(c.FallbackTimestampNanoseconds).ToString(CultureInfo.InvariantCulture), Assert.Single(marked));
        Assert.Equal("infinite_mapping", MptcpConnectionWriter.Values(c).Last());
    }

    [ToolFact("tshark")]
    public void First_data_without_a_mapping_is_a_fallback()
    {
        using var capture = new MptcpCraftedCaptures("fallback-unmapped");
        Handshake(capture);
        capture.Send(S1, 80, C1, 40000, Ack, 501, 101, O.Mapping(1, 1, 5), payload: 5); // the server's first data: mapped
        capture.Send(C1, 40000, S1, 80, Ack, 101, 506, [], payload: 10);               // the client's: options stripped
        string pcap = capture.Write();

        MptcpConnection c = Assert.Single(MptcpCorpusTests.Track(pcap).Connections);
        Assert.Equal((MptcpConnectionKind.Mptcp, MptcpFallback.MissingMapping), (c.Kind, c.Fallback));
        int frame = FrameOf(c.FallbackTimestampNanoseconds);
        Assert.Equal(5, frame);
        // tshark: an MPTCP connection (an mptcp.stream on the subflow), and the flagged frame is data with no MPTCP option.
        List<string[]> fields = Tshark(pcap, "mptcp.stream", "tcp.len", "tcp.options.mptcp.subtype");
        Assert.Contains(fields, f => f[1].Length > 0);
        Assert.Equal(["5", "", "10", ""], fields[frame - 1]);
        Assert.Equal("missing_mapping", MptcpConnectionWriter.Values(c).Last());
    }

    [Fact]
    public void A_mapping_over_several_segments_and_data_in_the_third_ACK_are_no_fallback()
    {
        using var covered = new MptcpCraftedCaptures("fallback-none");
        Handshake(covered);
        covered.Send(C1, 40000, S1, 80, Ack, 101, 501, O.Mapping(1, 1, 20), payload: 10);
        covered.Send(C1, 40000, S1, 80, Ack, 111, 501, [], payload: 10); // still in the first mapping
        Assert.Equal(MptcpFallback.None, Assert.Single(MptcpCorpusTests.Track(covered.Write()).Connections).Fallback);

        using var inAck = new MptcpCraftedCaptures("fallback-none-ack");
        inAck.Send(C1, 40000, S1, 80, Syn, 100, 0, O.CapableSyn());
        inAck.Send(S1, 80, C1, 40000, SynAck, 500, 101, O.CapableSynAck(ServerKey));
        inAck.Send(C1, 40000, S1, 80, Ack, 101, 501, O.CapableAckWithData(ClientKey, ServerKey, 10), payload: 10);
        MptcpConnection c = Assert.Single(MptcpCorpusTests.Track(inAck.Write()).Connections);
        Assert.Equal((MptcpConnectionKind.Mptcp, MptcpFallback.None, (uint?)0x66840dda), (c.Kind, c.Fallback, c.ClientToken));
    }

    private static List<string[]> Tshark(string pcap, params string[] fields)
    {
        string[] args = ["-r", pcap, "-o", "mptcp.analyze_mptcp:TRUE", "-o", "mptcp.analyze_mappings:TRUE", "-T", "fields", "-e", "frame.number",
            .. fields.SelectMany(f => new[] { "-e", f })];
        string output = ProcessRunner.Run("tshark", args).EnsureSuccess("tshark").StandardOutput;
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))];
    }
}
