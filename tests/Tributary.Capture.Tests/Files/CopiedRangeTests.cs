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
