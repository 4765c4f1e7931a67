using System.Buffers.Binary;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Stats;

namespace Tributary.Flows.Tests.Stats;

/// <summary>
/// <c>flows stats --threads N</c> over a file cut into chunks that every thread reads: the totals of one thread on
/// every file of the corpus (with chunks small enough to cut even small files into hundreds), the single-reader path
/// when a chunk boundary is wrong or the file is corrupt, and no hang when the run is cancelled.
/// </summary>
public sealed class ChunkedShardingTests
{
    public static TheoryData<string> CorpusFiles() => Summary.CorpusSummaryTests.CorpusFiles();

    private static FlowStatisticsResult Run(string path, int threads, long chunkBytes = FlowStatistics.DefaultChunkBytes, bool buffers = false, CancellationToken ct = default) =>
        new FlowStatistics(new FlowStatisticsOptions { Threads = threads, ChunkBytes = chunkBytes, Buffers = buffers, Checksums = buffers }).Run(path, ct);

    private static void AssertSameTotals(FlowStatisticsResult one, FlowStatisticsResult sharded)
    {
        Assert.Equal(one.Packets, sharded.Packets);
        Assert.Equal(one.TcpPackets, sharded.TcpPackets);
        Assert.Equal(one.Flows, sharded.Flows);
        Assert.Equal(one.Orphans, sharded.Orphans);
        Assert.Equal(one.Retransmissions, sharded.Retransmissions);
        Assert.Equal(one.Errors, sharded.Errors);
        Assert.Equal(one.Malformed, sharded.Malformed);
        Assert.Equal(one.ChecksumErrors, sharded.ChecksumErrors);
        Assert.Equal(one.NewDataEvents, sharded.NewDataEvents);
        Assert.Equal(one.PeekedBytes, sharded.PeekedBytes);
        Assert.Equal(one.FinalStates, sharded.FinalStates);
        Assert.Equal(one.InputError, sharded.InputError);
        Assert.Equal(sharded.Packets, sharded.ShardPackets.Sum());
    }

    private static bool Chunkable(string path)
    {
        using CaptureFileReader reader = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });
        return reader is PcapReader { SupportsRandomAccess: true } && reader.MappedLength - reader.Position >= 4 * 4096;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_corpus_file_cut_into_small_chunks_gives_the_totals_of_one_thread(string file)
    {
        string path = Path.Combine(SharedPaths.Corpus, file);
        FlowStatisticsResult one = Run(path, 1);
        foreach ((int threads, long chunk) in new[] { (2, 4096L), (3, 65536L) })
        {
            FlowStatisticsResult sharded = Run(path, threads, chunk);
            AssertSameTotals(one, sharded);
            Assert.Equal(threads, sharded.ShardPackets.Count);
            // Classic pcap that a mapping can serve is read by every thread; pcapng by one reader.
            Assert.Equal(Chunkable(path) && (new FileInfo(path).Length - 24) / chunk >= 2 * threads ? "chunked" : "pipelined", sharded.Strategy);
        }
    }

    [Fact]
    public void Reassembly_and_checksums_give_the_totals_of_one_thread()
    {
        string path = Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap");
        FlowStatisticsResult one = Run(path, 1, buffers: true);
        FlowStatisticsResult sharded = Run(path, 2, 16384, buffers: true);
        Assert.Equal("chunked", sharded.Strategy);
        Assert.True(one.PeekedBytes > 1_000_000);
        AssertSameTotals(one, sharded);
    }

    [Fact]
    public void A_chunk_cut_inside_a_frame_that_looks_like_records_falls_back_to_one_reader()
    {
        // The seed capture with one big UDP datagram in the middle whose payload is a run of plausible record headers:
        // chunk boundaries searched inside it land on a fake record, the reader of the chunk before does not land
        // there, and the run is redone by the single reader with the totals of one thread.
        using PacketSource seed = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap"));
        string path = Path.Combine(Path.GetTempPath(), $"flows-fake-chain-{Environment.ProcessId}.pcap");
        try
        {
            using (var writer = new PcapWriter(File.Create(path), LinkType.Ethernet))
            {
                int n = 0;
                while (seed.TryReadNext(out Packet p))
                {
                    writer.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
                    if (++n == 10_000)
                    {
                        byte[] datagram = FakeChainDatagram((uint)(p.TimestampNanoseconds / 1_000_000_000));
                        writer.Write(datagram, datagram.Length, p.TimestampNanoseconds, LinkType.Ethernet);
                    }
                }
            }
            FlowStatisticsResult one = Run(path, 1);
            FlowStatisticsResult sharded = Run(path, 2, 4096);
            Assert.Equal("pipelined", sharded.Strategy);
            AssertSameTotals(one, sharded);
            Assert.Equal(26_772, one.Packets);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>An Ethernet/IPv4/UDP frame of about 64 KiB whose payload is 76-byte fake records (16-byte header, 60 bytes).</summary>
    private static byte[] FakeChainDatagram(uint seconds)
    {
        byte[] f = new byte[14 + 20 + 8 + 65_000];
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        f[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), (ushort)(f.Length - 14));
        f[22] = 64;
        f[23] = 17;
        f.AsSpan(26, 8).Fill(10);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(38), (ushort)(f.Length - 34));
        for (int at = 42; at + 76 <= f.Length; at += 76)
        {
            Span<byte> h = f.AsSpan(at, 16);
            BinaryPrimitives.WriteUInt32LittleEndian(h, seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 60);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 60);
        }
        return f;
    }

    [Fact]
    public void A_cut_file_gives_the_totals_and_the_error_of_one_thread()
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap"));
        string path = Path.Combine(Path.GetTempPath(), $"flows-cut-{Environment.ProcessId}.pcap");
        try
        {
            File.WriteAllBytes(path, whole[..(whole.Length * 2 / 3)]);
            FlowStatisticsResult one = Run(path, 1);
            Assert.Contains("truncated packet record", one.InputError, StringComparison.Ordinal);
            AssertSameTotals(one, Run(path, 2, 4096));
            AssertSameTotals(one, Run(path, 2)); // too small to cut: the single reader
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_cancelled_run_stops_with_an_exception()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        string path = Path.Combine(SharedPaths.Corpus, "gen__seed.pcap");
        Assert.ThrowsAny<OperationCanceledException>(() => Run(path, 2, 4096, ct: cancelled.Token));
    }
}
