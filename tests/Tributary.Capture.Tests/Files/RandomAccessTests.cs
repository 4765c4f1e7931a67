using System.Buffers.Binary;
using Tributary.Capture.Files;

namespace Tributary.Capture.Tests.Files;

/// <summary>
/// Cursors of their own over a memory-mapped classic pcap (<see cref="PcapReader.TryReadAt"/>), the record-boundary
/// search that cuts a file for parallel readers, and tearing parts of the mapping down while it is read.
/// </summary>
public sealed class RandomAccessTests
{
    private static string Corpus(string name) => Path.Combine(SharedPaths.Corpus, name);

    private static PcapReader OpenMapped(string path) =>
        Assert.IsType<PcapReader>(CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true }));

    /// <summary>Every record of the file in order: offset, bytes, lengths, time (read with the ordinary cursor).</summary>
    private static List<(long Offset, byte[] Data, int Wire, long Time)> Sequential(string path)
    {
        using PcapReader reader = OpenMapped(path);
        var records = new List<(long, byte[], int, long)>();
        while (reader.TryReadNext(out Packet p))
            records.Add((p.FileOffset, p.Data.ToArray(), p.OriginalLength, p.TimestampNanoseconds));
        return records;
    }

    /// <summary>Each file read, with each seed of its random jumps.</summary>
    public static TheoryData<string, int> CursorFilesAndSeeds()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "gen__seed.pcap", "gen__http_v6_nsec.pcap", "gen__mptcp_any_sll2.pcap" })
        {
            foreach (int seed in FuzzSeeds.Of(5))
                data.Add(name, seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CursorFilesAndSeeds))]
    public void A_cursor_of_its_own_reads_the_records_the_reader_reads(string name, int seed)
    {
        var expected = Sequential(Corpus(name));
        using PcapReader reader = OpenMapped(Corpus(name));
        Assert.True(reader.SupportsRandomAccess);
        long offset = reader.Position;
        int i = 0;
        while (reader.TryReadAt(ref offset, out Packet p))
        {
            Assert.Equal(expected[i].Offset, p.FileOffset);
            Assert.Equal(expected[i].Data, p.Data.ToArray());
            Assert.Equal(expected[i].Wire, p.OriginalLength);
            Assert.Equal(expected[i].Time, p.TimestampNanoseconds);
            i++;
        }
        Assert.Equal(expected.Count, i);
        Assert.Equal(reader.MappedLength, offset);

        // Jumping between records, from another thread, while this reader is not moved.
        var random = new Random(seed);
        var jumps = new Thread(() =>
        {
            for (int k = 0; k < 500; k++)
            {
                var (at, data, _, _) = expected[random.Next(expected.Count)];
                long cursor = at;
                reader.PrefetchRecord(cursor);
                Assert.True(reader.TryReadAt(ref cursor, out Packet q, sequential: false));
                Assert.Equal(data, q.Data.ToArray());
                Assert.Equal(at + 16 + data.Length, cursor);
            }
        });
        jumps.Start();
        jumps.Join();
        Assert.True(reader.TryReadNext(out Packet first));
        Assert.Equal(expected[0].Offset, first.FileOffset);
    }

    [Theory]
    [InlineData("gen__seed.pcap")]
    [InlineData("gen__http_v4.pcap")]
    [InlineData("gen__iperf3_bulk.pcap")]
    [InlineData("pub__ppp__http_packets.pcap")]
    public void The_boundary_search_finds_the_next_record_from_any_offset(string name)
    {
        long[] starts = [.. Sequential(Corpus(name)).Select(r => r.Offset)];
        using PcapReader reader = OpenMapped(Corpus(name));
        // Every 61st byte of the file, and every byte of its first records: a true record start at or after it, the
        // next one unless times going back within the next 8 records make the search pass it over for a later one.
        IEnumerable<long> offsets = Enumerable.Range(24, 4000).Select(o => (long)o)
            .Concat(Enumerable.Range(0, (int)(reader.MappedLength / 61)).Select(k => 24 + k * 61L));
        int checkedOffsets = 0, exact = 0;
        foreach (long from in offsets)
        {
            int i = Array.BinarySearch(starts, from);
            int next = i >= 0 ? i : ~i;
            long found = reader.FindRecordBoundary(from, from + (16 << 20));
            if (next == starts.Length)
            {
                Assert.Equal(-1, found);
                continue;
            }
            int at = Array.BinarySearch(starts, found);
            Assert.True(at >= next && at <= next + 16, $"from {from}: {found} is not one of the next record starts ({starts[next]} …)");
            exact += at == next ? 1 : 0;
            checkedOffsets++;
        }
        Assert.True(checkedOffsets > 4000);
        Assert.True(exact >= checkedOffsets * 0.95, $"{exact} of {checkedOffsets} found the very next record");
    }

    [Fact]
    public void The_boundary_search_is_a_heuristic_that_payload_bytes_can_fool()
    {
        // One frame whose payload holds a chain of plausible record headers: the search taken inside it accepts the
        // fake chain. This is why a caller cutting a file checks that the reader of the part before lands on it.
        using var dir = new TempDirectory();
        string path = dir.File("fake-chain.pcap");
        FakeChainCapture.Write(path);
        using PcapReader reader = OpenMapped(path);
        Assert.Equal(24 + 16, reader.FindRecordBoundary(24 + 16, 1 << 20)); // the fake chain at the frame's first byte
        Assert.Equal(24 + 16 + 1000, reader.FindRecordBoundary(24 + 16 + 1000 - 20, 1 << 20)); // past the fakes: the real record
        Assert.Equal(-1, reader.FindRecordBoundary(24 + 16 + 1000 + 1, 1 << 20)); // inside the last record: nothing
    }

    [Fact]
    public void Cut_records_and_bad_offsets_are_errors_and_the_end_is_false()
    {
        byte[] whole = File.ReadAllBytes(Corpus("gen__misc_v4.pcap"));
        using var dir = new TempDirectory();
        string path = dir.File("cut.pcap");
        File.WriteAllBytes(path, whole[..^10]);
        var expected = Sequential(Corpus("gen__misc_v4.pcap"));
        using PcapReader reader = OpenMapped(path);
        long last = expected[^1].Offset;
        CaptureFileException cut = Assert.Throws<CaptureFileException>(() =>
        {
            long at = last;
            reader.TryReadAt(ref at, out _);
        });
        Assert.Equal(last, cut.Offset);
        Assert.Contains("truncated packet record", cut.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            long at = 3;
            reader.TryReadAt(ref at, out _);
        });
        long end = reader.MappedLength;
        Assert.False(reader.TryReadAt(ref end, out _));
    }

    [Fact]
    public void Random_access_needs_a_mapping_that_reading_does_not_rewrite()
    {
        using (var stream = File.OpenRead(Corpus("gen__misc_v4.pcap")))
        using (PcapReader piped = Assert.IsType<PcapReader>(CaptureFile.Open(stream, "piped")))
        {
            Assert.False(piped.SupportsRandomAccess);
            Assert.Throws<NotSupportedException>(() =>
            {
                long at = 24;
                piped.TryReadAt(ref at, out _);
            });
            Assert.Throws<NotSupportedException>(() => piped.FindRecordBoundary(24, 100));
        }
        // A big-endian LINKTYPE_NULL file has its headers converted in place as they are read.
        using var dir = new TempDirectory();
        string path = dir.File("null-be.pcap");
        byte[] header = new byte[24];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), 0); // LINKTYPE_NULL
        File.WriteAllBytes(path, header);
        using PcapReader swapped = OpenMapped(path);
        Assert.False(swapped.SupportsRandomAccess);
    }

    [Fact]
    public void Released_parts_of_the_mapping_read_the_same_bytes_again()
    {
        var expected = Sequential(Corpus("gen__seed.pcap"));
        using PcapReader reader = OpenMapped(Corpus("gen__seed.pcap"));
        // Two threads tear down halves of the file while a third reads all of it twice.
        long half = reader.MappedLength / 2;
        Thread[] releasers =
        [
            new(() => { for (int k = 0; k < 50; k++) reader.Release(0, half); }),
            new(() => { for (int k = 0; k < 50; k++) reader.Release(half - 100, reader.MappedLength); }),
        ];
        foreach (Thread t in releasers)
            t.Start();
        for (int pass = 0; pass < 2; pass++)
        {
            long offset = reader.Position;
            int i = 0;
            while (reader.TryReadAt(ref offset, out Packet p))
                Assert.Equal(expected[i++].Data, p.Data.ToArray());
            Assert.Equal(expected.Count, i);
        }
        foreach (Thread t in releasers)
            t.Join();
    }
}
