using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Summary;
using Tributary.Flows.Applications.Trace;
using Tributary.Flows.Internal;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Engine;

/// <summary>
/// Hostile packet streams: real frames (reference scenarios and corpus captures of every link type) mutated at
/// random — bit flips in headers, truncation, garbage — fed to the decoder, the engine in both modes (buffers,
/// UDEs, a raw socket, tracer printing every callback) and the summariser. Nothing may throw, no read may pass the
/// frame's end (guard page), and the accounting must hold.
/// </summary>
public sealed class FuzzTests
{
    public static TheoryData<int> DecoderSeeds() => FuzzSeeds.Of(1);

    [Theory]
    [MemberData(nameof(DecoderSeeds))]
    public void Decoder_never_reads_past_the_frame(int seed)
    {
        var rng = new Random(seed);
        IReadOnlyList<(byte[] Frame, int LinkType)> seeds = HostileFrames.Seeds();
        using var guard = new GuardedBuffer();
        var p = new PacketContext();
        int[] linkTypes = [0, 1, 9, 12, 50, 51, 101, 108, 113, 228, 229, 276];
        for (int i = 0; i < 60_000; i++)
        {
            (byte[] f, int lt) = seeds[rng.Next(seeds.Count)];
            Span<byte> placed = guard.Place(HostileFrames.Mutate(rng, f));
            unsafe
            {
                fixed (byte* b = placed)
                {
                    p.Frame = b;
                    p.FrameLength = placed.Length;
                    p.LinkType = rng.Next(10) == 0 ? linkTypes[rng.Next(linkTypes.Length)] : lt;
                    FrameDecoder.Decode(ref p);
                    if (p.Status == DecodeStatus.Tcp)
                    {
                        Assert.InRange(p.PayloadOffset + p.PayloadLength, 0, placed.Length);
                        Checksum.VerifyTransport(ref p);
                    }
                }
            }
            FrameSummary.Describe(placed, p.LinkType);
        }
    }

    public static TheoryData<int> EngineSeeds() => FuzzSeeds.Of(11, 12);

    /// <summary>Even seeds run with MosCompat, odd seeds without.</summary>
    [Theory]
    [MemberData(nameof(EngineSeeds))]
    public void Engine_survives_hostile_streams_and_keeps_its_accounting(int seed)
    {
        bool compat = seed % 2 == 0;
        var rng = new Random(seed);
        IReadOnlyList<(byte[] Frame, int LinkType)> seeds = HostileFrames.Seeds();
        using var guard = new GuardedBuffer();
        var output = new StringWriter();
        var source = new ListFrameSource();
        long t = 1_700_000_000_000_000L;
        for (int i = 0; i < 20_000; i++)
        {
            (byte[] f, int lt) = seeds[rng.Next(seeds.Count)];
            source.Add(HostileFrames.Mutate(rng, f), t += rng.Next(0, 3_000_000), lt);
        }
        // The reference tracer registers every event on every hook, peeks, dumps, defines UDEs and a raw socket.
        var options = new TraceOptions { Ude = 2, RawFilter = "tcp or udp", Dump = true, ShowBuffers = true, DrainOnError = !compat, OverlapLast = true };
        var ctxOptions = new MonitorContextOptions { MosCompat = compat, ReceiveBufferSize = 2048, TcpTimeoutSeconds = 5, TimeWaitSeconds = 1, MaxConcurrency = 4096 };
        var tracer = new ReferenceTracer(options, ctxOptions, output);
        int rc = tracer.Run(new HostileFrames.GuardedSource(source, guard));
        MonitorContext ctx = tracer.Context;
        MonitorStatistics st = ctx.Statistics;
        Assert.True(rc == 0 || (compat && rc == 1)); // compat may reproduce mOS's exit() in a peek (B1)
        if (rc == 0)
            Assert.Equal(source.Count, st.Packets);
        Assert.Equal(st.Packets, st.Forwarded + st.Dropped);
        Assert.Equal(st.Flows - st.Destroyed, ctx.ActiveFlows);
        if (rc == 0)
        {
            ctx.Finish(t + 60_000_000); // every flow times out
            Assert.Equal(0, ctx.ActiveFlows);
            Assert.Equal(st.Flows, st.Destroyed);
        }
    }

    /// <summary>Seeds 6 and 13 (and most others) reached a summariser bug that seed 5 missed.</summary>
    public static TheoryData<int> SummarySeeds() => FuzzSeeds.Of(5, 6, 13, 21);

    [Theory]
    [MemberData(nameof(SummarySeeds))]
    public void Summary_survives_hostile_streams(int seed)
    {
        var rng = new Random(seed);
        IReadOnlyList<(byte[] Frame, int LinkType)> seeds = HostileFrames.Seeds();
        using var guard = new GuardedBuffer();
        var s = new FlowSummarizer(verifyChecksums: rng.Next(2) == 0);
        for (int i = 0; i < 30_000; i++)
        {
            (byte[] f, int lt) = seeds[rng.Next(seeds.Count)];
            Span<byte> placed = guard.Place(HostileFrames.Mutate(rng, f));
            s.Add(placed, (LinkType)lt, placed.Length + rng.Next(0, 3), i * 1000L);
        }
        s.Complete();
        Assert.True(s.Flows.Sum(f => f.ClientToServer.Packets + f.ServerToClient.Packets) <= s.TcpSegments);
        Assert.All(s.Flows, f => Assert.Equal(64, f.ClientToServer.Sha256.Length));
    }
}
