using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Flows.Internal;
using Tributary.Flows.Tests.Summary;
using Tributary.Testing;

namespace Tributary.Flows.Tests.Engine;

/// <summary>
/// The flow engine decodes frames with its own lean decoder (<see cref="FrameDecoder"/>: only what the engine needs,
/// with mOS's notion of truncation) while the packet layer has the full one (<see cref="PacketDecoder"/>). Where both
/// see a complete TCP segment they must agree on every field the engine uses, on every frame of the corpus, or one
/// of them is wrong. The shard route read from the raw headers (<see cref="FrameDecoder.TryRouteHash"/>) must be
/// the decoded frame's.
/// </summary>
public sealed class DecoderAgreementTests
{
    [Theory]
    [MemberData(nameof(CorpusSummaryTests.CorpusFiles), MemberType = typeof(CorpusSummaryTests))]
    public unsafe void Both_decoders_agree_on_every_complete_tcp_segment(string file)
    {
        using PacketSource source = Tributary.Capture.Files.CaptureFile.Open(Path.Combine(SharedPaths.Corpus, file));
        long index = 0;
        var ctx = new PacketContext();
        while (source.TryReadNext(out Packet p))
        {
            index++;
            PacketDecoder.Decode(p, out DecodedPacket d);
            fixed (byte* frame = p.Data)
            {
                FrameDecoder.Decode(ref ctx, frame, p.Data.Length, (int)p.LinkType, p.OriginalLength);
                bool captureComplete = d.IsTcp && !d.IsFragment && d.NetworkOffset + d.IpTotalLength <= p.Data.Length;
                string where = $"{file} frame {index}";
                // A segment the packet layer sees whole is a TCP segment for the engine, and the other way round.
                Assert.True(captureComplete == (ctx.Status == Tributary.Flows.Internal.DecodeStatus.Tcp), $"{where}: packet layer complete={captureComplete}, engine {ctx.Status}");
                // The shard route taken from the raw headers: exactly the straight-line path's frames, same hash.
                bool routed = FrameDecoder.TryRouteHash(frame, p.Data.Length, (int)p.LinkType, out uint hash);
                bool straight = ctx.Status == Tributary.Flows.Internal.DecodeStatus.Tcp && ctx.UntaggedEthernetIPv4 && ctx.IpHeaderLength == 20;
                Assert.True(routed == straight, $"{where}: routed from the raw headers {routed}, straight-line TCP {straight}");
                if (routed)
                    Assert.Equal(ctx.SymmetricHash(), hash);
                if (!captureComplete)
                    continue;
                Assert.Equal(d.NetworkOffset, ctx.L3Offset);
                Assert.Equal(d.IpVersion, ctx.IpVersion);
                Assert.Equal(d.IpTotalLength, ctx.IpLength);
                Assert.Equal(ToKeyHalves(d.Source), (ctx.SourceHigh, ctx.SourceLow));
                Assert.Equal(ToKeyHalves(d.Destination), (ctx.DestinationHigh, ctx.DestinationLow));
                Assert.Equal(d.SourcePort, ctx.SourcePort);
                Assert.Equal(d.DestinationPort, ctx.DestinationPort);
                Assert.Equal(d.Sequence, ctx.Seq);
                Assert.Equal(d.Acknowledgment, ctx.Ack);
                Assert.Equal((byte)d.TcpFlags, ctx.Flags);
                Assert.Equal(d.PayloadOffset, ctx.PayloadOffset);
                Assert.Equal(d.PayloadLength, ctx.PayloadLength);
            }
        }
    }

    /// <summary>The engine keeps IPv4 addresses in the low half as a host-order integer, IPv6 as two big-endian halves.</summary>
    private static (ulong High, ulong Low) ToKeyHalves(IpAddress a)
    {
        if (a.IsIPv4)
            return (0, a.IPv4Value);
        Span<byte> b = stackalloc byte[16];
        a.WriteTo16(b);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b[8..]));
    }
}
