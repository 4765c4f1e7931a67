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

    /// <summary>
    /// Two threads in chunks of 4 KiB read <paramref name="path"/> by <paramref name="strategy"/>, with the totals
    /// that <paramref name="one"/> thread gave; for "resumed", the file is cut again after the failure (at least
    /// <paramref name="segments"/> times in all).
    /// </summary>
    private static void AssertTwoThreadsAsOne(FlowStatisticsResult one, string path, string strategy, int segments = 1)
    {
        FlowStatisticsResult two = Run(path, 2, 4096);
        Assert.Equal(strategy, two.Strategy);
        AssertSameTotals(one, two);
        Assert.True(two.ChunkedSegments >= segments, $"{two.ChunkedSegments} chunked segments");
    }

    /// <summary>
    /// How a run of <paramref name="threads"/> threads reads the file in chunks of <paramref name="chunk"/> bytes:
    /// "chunked" when it is a mapping that cursors can read from the first packet to the end, cut into at least two
    /// chunks per thread; "resumed" when cursors stop before the end (a pcapng file that describes an interface after
    /// its first packet), so that one reader goes on from the chunk they stop in; "pipelined" when it cannot be cut.
    /// </summary>
    private static string Strategy(string path, int threads, long chunk)
    {
        using CaptureFileReader reader = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });
        long offset;
        bool late = false;
        switch (reader)
        {
            case PcapReader { SupportsRandomAccess: true } pcap:
                offset = pcap.Position;
                break;
            case PcapNgReader pcapng when pcapng.SkipToNextPacket() && pcapng.SupportsRandomAccess:
                offset = pcapng.Position;
                long cursor = offset;
                while (pcapng.TryReadAt(ref cursor, out _) || pcapng.TrySkipRepeatedSection(ref cursor))
                {
                }
                late = cursor != pcapng.MappedLength; // stopped at an interface described late
                break;
            default:
                return "pipelined";
        }
        if ((reader.MappedLength - offset + chunk - 1) / chunk < 2 * threads)
            return "pipelined";
        return late ? "resumed" : "chunked";
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
            Assert.Equal(Strategy(path, threads, chunk), sharded.Strategy);
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

    /// <summary>Writes the frames of a corpus capture as pcapng, calling <paramref name="after"/> after each frame.</summary>
    private static void WritePcapNg(string from, string to, Action<PcapNgWriter, int, Packet>? after = null)
    {
        using PacketSource source = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, from));
        using PcapNgWriter writer = PcapNgWriter.Create(to);
        int n = 0;
        while (source.TryReadNext(out Packet p))
        {
            writer.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
            after?.Invoke(writer, ++n, p);
        }
    }

    [Fact]
    public void A_pcapng_file_is_read_in_chunks_with_the_totals_of_one_thread()
    {
        string path = Path.Combine(Path.GetTempPath(), $"flows-chunked-{Environment.ProcessId}.pcapng");
        try
        {
            WritePcapNg("gen__http_v4.pcap", path);
            FlowStatisticsResult pcap = Run(Path.Combine(SharedPaths.Corpus, "gen__http_v4.pcap"), 1, buffers: true);
            FlowStatisticsResult one = Run(path, 1, buffers: true);
            AssertSameTotals(pcap, one);
            foreach (int threads in new[] { 2, 3 })
            {
                FlowStatisticsResult sharded = Run(path, threads, 16384, buffers: true);
                Assert.Equal("chunked", sharded.Strategy);
                AssertSameTotals(one, sharded);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_pcapng_chunk_cut_inside_a_captured_pcapng_file_or_at_a_late_interface_falls_back_to_one_reader()
    {
        // The seed capture as pcapng with one big UDP datagram in the middle whose payload is a pcapng file: chunk
        // boundaries searched inside it land on a fake block and the reader of the chunk before does not land there.
        // A second file describes a second interface mid-way: a cursor stops at it. Both runs are redone by the
        // single reader, with the totals of one thread.
        string fake = Path.Combine(Path.GetTempPath(), $"flows-fake-blocks-{Environment.ProcessId}.pcapng");
        string late = Path.Combine(Path.GetTempPath(), $"flows-late-interface-{Environment.ProcessId}.pcapng");
        try
        {
            WritePcapNg("gen__seed.pcap", fake, (writer, n, p) =>
            {
                if (n == 10_000)
                {
                    byte[] datagram = PcapNgDatagram(p.TimestampNanoseconds);
                    writer.Write(datagram, datagram.Length, p.TimestampNanoseconds, LinkType.Ethernet);
                }
            });
            WritePcapNg("gen__seed.pcap", late, (writer, n, p) =>
            {
                if (n == 15_000)
                    writer.Write(p.Data[14..], p.OriginalLength - 14, p.TimestampNanoseconds, LinkType.Raw, interfaceId: 1);
            });
            foreach ((string path, long packets) in new[] { (fake, 26_772L), (late, 26_772L) })
            {
                FlowStatisticsResult one = Run(path, 1);
                AssertTwoThreadsAsOne(one, path, "resumed", segments: 2);
                Assert.Equal(packets, one.Packets);
            }
        }
        finally
        {
            File.Delete(fake);
            File.Delete(late);
        }
    }

    /// <summary>An Ethernet/IPv4/UDP frame whose payload is a pcapng file of 600 small packets (about 55 KiB), aligned as blocks are.</summary>
    private static byte[] PcapNgDatagram(long time)
    {
        var inner = new MemoryStream();
        using (var writer = new PcapNgWriter(inner, leaveOpen: true))
        {
            for (int k = 0; k < 600; k++)
                writer.Write(new byte[60], 60, time + k, LinkType.Ethernet);
        }
        // The file starts 2 bytes into the payload: 28 + 44 bytes into its block, where a block could start.
        byte[] f = new byte[14 + 20 + 8 + 2 + inner.Length];
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        f[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), (ushort)(f.Length - 14));
        f[22] = 64;
        f[23] = 17;
        f.AsSpan(26, 8).Fill(10);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(38), (ushort)(f.Length - 34));
        inner.ToArray().CopyTo(f, 44);
        return f;
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
            AssertTwoThreadsAsOne(one, path, "resumed", segments: 2);
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
    public void A_capture_whose_time_jumps_ahead_and_back_gives_the_totals_of_one_thread()
    {
        // The seed capture with one UDP frame stamped a day late after its 8,000th frame, the times going back after
        // it: one context times out every idle flow at that frame, whichever shard the frame goes to. Read in chunks
        // (pcap) and by the single reader (pcapng with an interface described late), two threads give the same totals.
        string pcap = Path.Combine(Path.GetTempPath(), $"flows-jump-{Environment.ProcessId}.pcap");
        string pcapng = Path.Combine(Path.GetTempPath(), $"flows-jump-{Environment.ProcessId}.pcapng");
        try
        {
            using (PacketSource seed = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap")))
            using (var w = new PcapWriter(File.Create(pcap), LinkType.Ethernet))
            using (PcapNgWriter ng = PcapNgWriter.Create(pcapng))
            {
                int n = 0;
                while (seed.TryReadNext(out Packet p))
                {
                    w.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
                    ng.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
                    if (++n == 8_000)
                    {
                        byte[] datagram = PcapNgDatagram(0);
                        long late = p.TimestampNanoseconds + 86_400_000_000_000L;
                        w.Write(datagram, datagram.Length, late, LinkType.Ethernet);
                        ng.Write(datagram, datagram.Length, late, LinkType.Ethernet);
                        ng.Write(datagram[14..], datagram.Length - 14, late, LinkType.Raw, interfaceId: 1);
                    }
                }
            }
            FlowStatisticsResult straight = Run(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap"), 1);
            FlowStatisticsResult one = Run(pcap, 1);
            Assert.NotEqual(straight.FinalStates, one.FinalStates); // the jump times flows out
            AssertTwoThreadsAsOne(one, pcap, "chunked");
            FlowStatisticsResult oneNg = Run(pcapng, 1);
            Assert.Equal(one.FinalStates, oneNg.FinalStates);
            AssertTwoThreadsAsOne(oneNg, pcapng, "resumed", segments: 2);
        }
        finally
        {
            File.Delete(pcap);
            File.Delete(pcapng);
        }
    }

    [Fact]
    public void Two_pcapng_files_one_after_the_other_resume_at_the_second_section_with_the_totals_of_one_thread()
    {
        // `cat a.pcapng b.pcapng` of two capture set-ups: a second section header half-way, with interfaces of its
        // own, where cursors stop. One reader goes on from the chunk it is in, with the contexts of the chunks.
        string first = Path.Combine(Path.GetTempPath(), $"flows-section-a-{Environment.ProcessId}.pcapng");
        string both = Path.Combine(Path.GetTempPath(), $"flows-sections-{Environment.ProcessId}.pcapng");
        string second = Path.Combine(SharedPaths.Corpus, "pub__cs__http_espn.pcapng");
        try
        {
            WritePcapNg("gen__seed.pcap", first);
            File.WriteAllBytes(both, [.. File.ReadAllBytes(first), .. File.ReadAllBytes(second)]);
            FlowStatisticsResult one = Run(both, 1);
            Assert.Equal(Run(first, 1).Packets + Run(second, 1).Packets, one.Packets);
            AssertTwoThreadsAsOne(one, both, "resumed", segments: 2);
        }
        finally
        {
            File.Delete(first);
            File.Delete(both);
        }
    }

    [Fact]
    public void Pcapng_files_of_one_set_up_joined_by_cat_are_read_in_chunks_through_their_sections()
    {
        // Sections that repeat the first section's interfaces block for block change nothing a shard sees: the
        // cursors step over them, so the file is cut once, as if it had one section. Three copies of one file and
        // one of another with the same interface; then a fourth section with a second interface is one the
        // cursors leave to the reader.
        string a = Path.Combine(Path.GetTempPath(), $"flows-cat-a-{Environment.ProcessId}.pcapng");
        string b = Path.Combine(Path.GetTempPath(), $"flows-cat-b-{Environment.ProcessId}.pcapng");
        string c = Path.Combine(Path.GetTempPath(), $"flows-cat-c-{Environment.ProcessId}.pcapng");
        string joined = Path.Combine(Path.GetTempPath(), $"flows-cat-{Environment.ProcessId}.pcapng");
        try
        {
            WritePcapNg("gen__http_v4.pcap", a);
            WritePcapNg("gen__seed.pcap", b);
            byte[] first = File.ReadAllBytes(a), second = File.ReadAllBytes(b);
            File.WriteAllBytes(joined, [.. first, .. second, .. first, .. first]);
            FlowStatisticsResult one = Run(joined, 1);
            Assert.Equal(3 * Run(a, 1).Packets + Run(b, 1).Packets, one.Packets);
            FlowStatisticsResult two = Run(joined, 2, 4096);
            Assert.Equal(("chunked", 1), (two.Strategy, two.ChunkedSegments));
            AssertSameTotals(one, two);
            Assert.Equal("chunked", Strategy(joined, 2, 4096));

            // A section with one more interface: not a repeat.
            WritePcapNg("gen__http_v4.pcap", c, (writer, n, p) =>
            {
                if (n == 1)
                    writer.Write(p.Data[14..], p.OriginalLength - 14, p.TimestampNanoseconds, LinkType.Raw, interfaceId: 1);
            });
            File.WriteAllBytes(joined, [.. first, .. second, .. File.ReadAllBytes(c), .. first]);
            one = Run(joined, 1);
            AssertTwoThreadsAsOne(one, joined, "resumed", segments: 2);
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
            File.Delete(c);
            File.Delete(joined);
        }
    }

    [Fact]
    public void A_run_resumed_after_a_time_jump_starts_from_the_clock_of_the_chunks_before()
    {
        // pcapng: the seed capture's first 8,000 frames, a UDP frame stamped a day late, 100 ARP frames at the old time
        // (shard 0's: 15 chunks, more than the slots that bound how far a shard lags), a frame on an interface
        // described there, then the rest. The chunks stop at that interface; the run resumes after the late frame.
        // Shard 1 has seen no frame since, so its clock must start from the latest time of the chunks before (one
        // context times out every idle flow there).
        string path = Path.Combine(Path.GetTempPath(), $"flows-jump-resume-{Environment.ProcessId}.pcapng");
        try
        {
            WritePcapNg("gen__seed.pcap", path, (writer, n, p) =>
            {
                if (n != 8_000)
                    return;
                var udp = new byte[60];
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(12), 0x0800);
                udp[14] = 0x45;
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(16), 46);
                udp[22] = 64;
                udp[23] = 17;
                udp.AsSpan(26, 8).Fill(10);
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(38), 26);
                writer.Write(udp, udp.Length, p.TimestampNanoseconds + 86_400_000_000_000L, LinkType.Ethernet);
                var arp = new byte[600];
                arp[12] = 0x08;
                arp[13] = 0x06;
                for (int k = 0; k < 100; k++)
                    writer.Write(arp, arp.Length, p.TimestampNanoseconds, LinkType.Ethernet);
                writer.Write(p.Data[14..], p.OriginalLength - 14, p.TimestampNanoseconds, LinkType.Raw, interfaceId: 1);
            });
            FlowStatisticsResult straight = Run(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap"), 1);
            FlowStatisticsResult one = Run(path, 1);
            Assert.NotEqual(straight.FinalStates, one.FinalStates); // the jump times flows out
            AssertTwoThreadsAsOne(one, path, "resumed", segments: 2);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_corrupt_record_right_after_a_time_jump_gives_the_final_states_of_one_thread()
    {
        // The seed capture's first 8,000 frames, one UDP frame stamped a day late, then a record whose length is
        // impossible. One context times out every idle flow at the late frame and stops at the bad record. The chunks
        // meet the bad record and hand the file to the single reader, whose shards must catch up with the late
        // time although the input stops before their next frame (found by fuzzing: such flows stayed open).
        string pcap = Path.Combine(Path.GetTempPath(), $"flows-jump-fault-{Environment.ProcessId}.pcap");
        try
        {
            long late = 0;
            using (PacketSource seed = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, "gen__seed.pcap")))
            using (var w = new PcapWriter(File.Create(pcap), LinkType.Ethernet))
            {
                for (int n = 0; n < 8_000 && seed.TryReadNext(out Packet p); n++)
                {
                    w.Write(p.Data, p.OriginalLength, p.TimestampNanoseconds, p.LinkType);
                    late = p.TimestampNanoseconds + 86_400_000_000_000L;
                }
                byte[] datagram = PcapNgDatagram(0);
                w.Write(datagram, datagram.Length, late, LinkType.Ethernet);
            }
            var bad = new byte[16 + 64];
            BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(8), 0x0100_0000); // 16 MiB captured: past the snapshot length
            BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(12), 0x0100_0000);
            using (FileStream f = new(pcap, FileMode.Append))
                f.Write(bad);

            FlowStatisticsResult one = Run(pcap, 1);
            Assert.Contains("exceeds the maximum", one.InputError, StringComparison.Ordinal);
            Assert.Equal(8_001, one.Packets);
            Assert.DoesNotContain(one.FinalStates.Keys, k => k.StartsWith("open:ESTABLISHED", StringComparison.Ordinal)); // all timed out
            AssertTwoThreadsAsOne(one, pcap, "resumed");
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    /// <summary>Seeds 102 and 110 reached the fault after a time jump (above).</summary>
    public static TheoryData<int> FuzzedFileSeeds() => FuzzSeeds.Of(31, 102, 110);

    [Theory]
    [MemberData(nameof(FuzzedFileSeeds))]
    public void Fuzzed_files_give_the_totals_and_the_error_of_one_thread(int seed)
    {
        // Mutated pcap and pcapng files cut into 4 KiB chunks: whether the chunks are read, or a wrong boundary or a
        // corrupt block sends the run to the single reader, the totals and the error are those of one thread.
        string[] seeds = ["pub__ppp__many_interfaces.pcapng", "pub__cs__synscan.pcapng", "gen__misc_v4.pcap", "gen__rst_storm.pcap"];
        Dictionary<string, int> strategies = Fuzz(seed, [.. seeds.Select(s => (File.ReadAllBytes(Path.Combine(SharedPaths.Corpus, s)), Path.GetExtension(s)))], 160);
        Assert.True(strategies.GetValueOrDefault("chunked") > 20, string.Join(", ", strategies));
        Assert.True(strategies.GetValueOrDefault("resumed") > 20, string.Join(", ", strategies)); // a wrong boundary or a corrupt chunk
    }

    [Theory]
    [MemberData(nameof(FuzzedFileSeeds))]
    public void Fuzzed_pcapng_files_joined_by_cat_give_the_totals_and_the_error_of_one_thread(int seed)
    {
        // Sections that repeat the interfaces, which cursors step over, with mutations that may fall in a section
        // header or an interface description (then it is a section of its own, or a corrupt block).
        byte[] synscan = File.ReadAllBytes(Path.Combine(SharedPaths.Corpus, "pub__cs__synscan.pcapng"));
        byte[] espn = File.ReadAllBytes(Path.Combine(SharedPaths.Corpus, "pub__cs__http_espn.pcapng"));
        Dictionary<string, int> strategies = Fuzz(seed, [([.. synscan, .. synscan, .. synscan], ".pcapng"), ([.. espn, .. synscan, .. espn], ".pcapng")], 60);
        Assert.True(strategies.GetValueOrDefault("chunked") > 5, string.Join(", ", strategies));
        Assert.True(strategies.GetValueOrDefault("resumed") > 5, string.Join(", ", strategies));
    }

    /// <summary>
    /// <paramref name="rounds"/> mutated copies of <paramref name="files"/> in turn, each run with one thread and with
    /// two in 4 KiB chunks, with the same totals and error; the strategies the two-thread runs took.
    /// </summary>
    private static Dictionary<string, int> Fuzz(int seed, (byte[] Bytes, string Extension)[] files, int rounds)
    {
        var rng = new Random(seed);
        string dir = Path.Combine(Path.GetTempPath(), $"flows-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var strategies = new Dictionary<string, int>();
        try
        {
            for (int i = 0; i < rounds; i++)
            {
                byte[] f = (byte[])files[i % files.Length].Bytes.Clone();
                for (int m = rng.Next(1, 6); m > 0; m--)
                {
                    int at = rng.Next(f.Length - 4);
                    if (rng.Next(2) == 0)
                        f[at] ^= (byte)(1 << rng.Next(8));
                    else
                        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(at), (uint)rng.Next(0, 2000));
                }
                string path = Path.Combine(dir, $"fuzz{i}{files[i % files.Length].Extension}");
                File.WriteAllBytes(path, rng.Next(4) == 0 ? f[..rng.Next(f.Length)] : f);
                FlowStatisticsResult one;
                try
                {
                    one = Run(path, 1);
                }
                catch (CaptureFileException)
                {
                    Assert.Throws<CaptureFileException>(() => Run(path, 2, 4096)); // a file header nobody reads
                    continue;
                }
                FlowStatisticsResult sharded = Run(path, 2, 4096);
                AssertSameTotals(one, sharded);
                strategies[sharded.Strategy] = strategies.GetValueOrDefault(sharded.Strategy) + 1;
                File.Delete(path);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return strategies;
    }

    [Theory]
    [InlineData(4096L, "chunked")]
    [InlineData(FlowStatistics.DefaultChunkBytes, "pipelined")] // 17 MB: too few chunks for 100 threads
    public void Every_one_of_100_shards_gets_connections(long chunkBytes, string strategy)
    {
        // 1,050 connections over 100 shards. The hash was cut into 64 buckets, so shards past the 64th got nothing.
        string path = Path.Combine(SharedPaths.Corpus, "gen__seed.pcap");
        FlowStatisticsResult one = Run(path, 1);
        FlowStatisticsResult sharded = Run(path, 100, chunkBytes);
        Assert.Equal(strategy, sharded.Strategy);
        AssertSameTotals(one, sharded);
        Assert.Equal(100, sharded.ShardPackets.Count);
        Assert.All(sharded.ShardPackets, packets => Assert.True(packets > 0));
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
