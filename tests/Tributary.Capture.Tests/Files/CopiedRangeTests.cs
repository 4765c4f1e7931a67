using Tributary.Capture.Files;

namespace Tributary.Capture.Tests.Files;

/// <summary>
/// Parts of a memory-mapped capture copied out with positional reads (<see cref="CaptureFileReader.ReadAt"/>) and read
/// from the copy by offset, as the chunked flow statistics read them: the same records as through the mapping, with
/// the packets in the copy, and whatever does not end inside the copy read from the mapping instead.
/// </summary>
public sealed unsafe class CopiedRangeTests
{
    private static string Corpus(string name) => Path.Combine(SharedPaths.Corpus, name);

    private static CaptureFileReader OpenMapped(string path) =>
        (CaptureFileReader)CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });

    /// <summary>Reads the record at <paramref name="offset"/> from the copy whose file offset 0 would be at <paramref name="start"/>.</summary>
    private static bool TryReadCopy(CaptureFileReader reader, byte* start, long end, ref long offset, out Packet p) => reader switch
    {
        PcapReader pcap => pcap.TryReadAt(start, end, ref offset, out p, sequential: true),
        PcapNgReader pcapng => pcapng.TryReadAt(start, end, ref offset, out p, sequential: true, verifyTrailer: true),
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [InlineData("gen__http_v6_nsec.pcap")]
    [InlineData("gen__mptcp_any_sll2.pcap")]
    [InlineData("pub__ppp__pcapng_example_snap128.pcapng")]
    [InlineData("pub__ppp__many_interfaces.pcapng")]
    public void A_copied_range_reads_the_records_of_the_mapping(string name)
    {
        string path = Corpus(name);
        var expected = new List<(long Offset, byte[] Data, long Time, int Wire, long Next)>();
        using (CaptureFileReader sequential = OpenMapped(path))
        {
            while (sequential.TryReadNext(out Packet p))
                expected.Add((p.FileOffset, p.Data.ToArray(), p.TimestampNanoseconds, p.OriginalLength, sequential.Position));
        }
        Assert.True(expected.Count > 20);

        using CaptureFileReader reader = OpenMapped(path);
        if (reader is PcapNgReader ng)
            Assert.True(ng.SkipToNextPacket());
        // A range from the 5th record to the end of the 15th, and one that ends 3 bytes into the 16th record.
        long from = expected[4].Offset, end = expected[14].Next;
        foreach (long copyEnd in new[] { end, end + 3 })
        {
            byte[] copy = GC.AllocateUninitializedArray<byte>((int)(copyEnd - from), pinned: true);
            Assert.Equal(copy.Length, reader.ReadAt(from, copy));
            fixed (byte* c = copy)
            {
                byte* start = c - from;
                long offset = from;
                for (int i = 4; i <= 15; i++)
                {
                    Assert.True(TryReadCopy(reader, start, copyEnd, ref offset, out Packet p));
                    Assert.Equal(expected[i].Offset, p.FileOffset);
                    Assert.Equal(expected[i].Data, p.Data.ToArray());
                    Assert.Equal(expected[i].Time, p.TimestampNanoseconds);
                    Assert.Equal(expected[i].Wire, p.OriginalLength);
                    Assert.Equal(expected[i].Next, offset);
                    fixed (byte* d = p.Data)
                    {
                        // Records inside the copy are read from it; the 16th, which does not end inside it, from the mapping.
                        bool inCopy = d >= c && d + p.Data.Length <= c + copy.Length;
                        Assert.Equal(i < 15, inCopy);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The boundary search in a copy of [from - 64, from + span): the mapping's answer whenever it is conclusive, and
    /// conclusive whenever the copy holds the chain (a copy to the end of the file always is).
    /// </summary>
    [Theory]
    [InlineData("gen__http_v6_nsec.pcap")]
    [InlineData("gen__mptcp_any_sll2.pcap")]
    [InlineData("gen__seed.pcap")]
    [InlineData("pub__cs__http_espn.pcapng")]
    [InlineData("pub__cs__synscan.pcapng")]
    public void The_boundary_search_in_a_copy_answers_as_the_mapping_or_says_it_cannot(string name)
    {
        using CaptureFileReader reader = OpenMapped(Corpus(name));
        if (reader is PcapNgReader ng)
            Assert.True(ng.SkipToNextPacket()); // the section's interfaces, which the chains check
        long length = reader.MappedLength, first = reader.Position;
        byte[] whole = GC.AllocateUninitializedArray<byte>((int)length, pinned: true);
        Assert.Equal(whole.Length, reader.ReadAt(0, whole));
        int conclusive = 0, cutShort = 0, cutMargin = 0;
        foreach (long from in Enumerable.Range(0, (int)(length / 997)).Select(k => first + k * 997L))
        {
            long expected = FindInMapping(reader, from, from + (16 << 20));
            foreach (long span in new long[] { 200, 16 << 10, length })
            {
                long begin = Math.Max(0, from - 64), end = Math.Min(length, from + span);
                // Copies of their own for the short spans (a read outside them would show), the whole file for the rest.
                byte[] copy = span == length ? whole : GC.AllocateUninitializedArray<byte>((int)(end - begin), pinned: true);
                if (span != length)
                    Assert.Equal(copy.Length, reader.ReadAt(begin, copy));
                fixed (byte* c = copy)
                {
                    byte* start = span == length ? c : c - begin;
                    long found = FindInCopy(reader, start, begin, end, from, from + (16 << 20), out bool inconclusive);
                    if (inconclusive)
                    {
                        Assert.Equal(-1, found);
                        Assert.True(end < length, $"from {from}: a copy to the end of the file was inconclusive");
                        cutShort += span == 200 ? 1 : 0;
                        cutMargin += span == 200 ? 0 : 1;
                    }
                    else
                    {
                        Assert.Equal(expected, found);
                        conclusive++;
                    }
                }
            }
        }
        // The chunked run's 16 KiB margin rarely misses the chain in these captures; 200 bytes cannot hold 8 records.
        Assert.True(cutMargin * 20 < conclusive, $"{cutMargin} of the 16 KiB copies were inconclusive");
        Assert.True(cutShort > 0);
        Assert.True(conclusive > length / 997);
    }

    private static long FindInMapping(CaptureFileReader reader, long from, long limit) => reader switch
    {
        PcapReader pcap => pcap.FindRecordBoundary(from, limit),
        PcapNgReader pcapng => pcapng.FindRecordBoundary(from, limit),
        _ => throw new InvalidOperationException(),
    };

    private static long FindInCopy(CaptureFileReader reader, byte* start, long begin, long end, long from, long limit, out bool inconclusive) => reader switch
    {
        PcapReader pcap => pcap.FindRecordBoundary(start, begin, end, from, limit, confirm: 8, out inconclusive),
        PcapNgReader pcapng => pcapng.FindRecordBoundary(start, begin, end, from, limit, confirm: 8, out inconclusive),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>
    /// A copy that cuts the true record's chain but holds a fake chain in its payload in full: the search must not
    /// take the fake one (the mapping finds the true record), so it says it cannot tell.
    /// </summary>
    [Fact]
    public void A_copy_that_cuts_the_true_chain_does_not_take_a_fake_one()
    {
        using var dir = new TempDirectory();
        string path = dir.File("fake-chain.pcap");
        FakeChainCapture.Write(path);
        using var reader = (PcapReader)OpenMapped(path);
        Assert.Equal(24, reader.FindRecordBoundary(24, 1 << 20));
        const long end = 24 + 16 + 800; // past the fake chain's 8 headers, before the true record's end
        byte[] copy = GC.AllocateUninitializedArray<byte>((int)end, pinned: true);
        Assert.Equal(copy.Length, reader.ReadAt(0, copy));
        fixed (byte* c = copy)
        {
            Assert.Equal(-1, reader.FindRecordBoundary(c, 0, end, 24, 1 << 20, confirm: 8, out bool inconclusive));
            Assert.True(inconclusive);
        }
        byte[] whole = File.ReadAllBytes(path);
        fixed (byte* w = whole)
        {
            Assert.Equal(24, reader.FindRecordBoundary(w, 0, whole.Length, 24, 1 << 20, confirm: 8, out bool inconclusive));
            Assert.False(inconclusive);
        }
    }

    [Theory]
    [InlineData("gen__http_v6_nsec.pcap", false)]
    [InlineData("gen__http_v6_nsec.pcap", true)]
    [InlineData("pub__cs__http_espn.pcapng", false)]
    [InlineData("pub__cs__http_espn.pcapng", true)]
    public void SkipTo_a_record_start_reads_on_from_there(string name, bool mapped)
    {
        // Where a run that read in chunks resumes on one reader: read (or mapped), moved to a record's offset, the
        // reader gives the packets a sequential reader gives from there; it never moves back.
        string path = Corpus(name);
        var expected = new List<(long Offset, byte[] Data)>();
        using (CaptureFileReader sequential = CaptureFile.Open(path))
        {
            while (sequential.TryReadNext(out Packet p))
                expected.Add((p.FileOffset, p.Data.ToArray()));
        }
        using var reader = (CaptureFileReader)CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = mapped });
        Assert.Equal(mapped, reader.IsMemoryMapped);
        if (reader is PcapNgReader ng)
            Assert.True(ng.SkipToNextPacket());
        int from = expected.Count / 2;
        Assert.True(reader.SkipTo(expected[from].Offset));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.SkipTo(expected[from].Offset - 1));
        for (int i = from; i < expected.Count; i++)
        {
            Assert.True(reader.TryReadNext(out Packet p));
            Assert.Equal(expected[i].Offset, p.FileOffset);
            Assert.Equal(expected[i].Data, p.Data.ToArray());
        }
        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.SkipTo(new FileInfo(path).Length + 10)); // past the end
    }

    [Fact]
    public void ReadAt_copies_the_file_stops_at_its_end_and_needs_an_open_mapped_reader()
    {
        string path = Corpus("gen__http_v6_nsec.pcap");
        byte[] file = File.ReadAllBytes(path);
        CaptureFileReader reader = OpenMapped(path);
        var buffer = new byte[4096];
        Assert.Equal(4096, reader.ReadAt(1000, buffer));
        Assert.Equal(file.AsSpan(1000, 4096).ToArray(), buffer);
        Assert.Equal(10, reader.ReadAt(file.Length - 10, buffer));
        Assert.Equal(file.AsSpan(file.Length - 10).ToArray(), buffer.AsSpan(0, 10).ToArray());
        Assert.Equal(0, reader.ReadAt(file.Length + 5, buffer));
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.ReadAt(0, buffer));

        using var unmapped = (CaptureFileReader)CaptureFile.Open(path);
        Assert.Throws<NotSupportedException>(() => unmapped.ReadAt(0, buffer));
    }
}
