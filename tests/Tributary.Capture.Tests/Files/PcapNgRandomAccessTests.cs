using System.Buffers.Binary;
using Tributary.Capture.Files;

namespace Tributary.Capture.Tests.Files;

/// <summary>
/// Cursors of their own over a memory-mapped pcapng file (<see cref="PcapNgReader.TryReadAt"/>) after the interfaces
/// before the first packet are read (<see cref="PcapNgReader.SkipToNextPacket"/>), and the block-boundary search that
/// cuts a file for parallel readers (<see cref="PcapNgReader.FindRecordBoundary"/>).
/// </summary>
public sealed class PcapNgRandomAccessTests
{
    private static string Corpus(string name) => Path.Combine(SharedPaths.Corpus, name);

    public static TheoryData<string> CorpusPcapNg()
    {
        var data = new TheoryData<string>();
        foreach (string f in Directory.GetFiles(SharedPaths.Corpus, "*.pcapng").Order())
            data.Add(Path.GetFileName(f));
        return data;
    }

    private static PcapNgReader OpenMapped(string path) =>
        Assert.IsType<PcapNgReader>(CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true }));

    private sealed record Expected(long Offset, byte[] Data, int Wire, long Time, LinkType LinkType, int Interface);

    /// <summary>Every packet of the file in order, read with the ordinary cursor.</summary>
    private static List<Expected> Sequential(string path)
    {
        using PcapNgReader reader = OpenMapped(path);
        var packets = new List<Expected>();
        while (reader.TryReadNext(out Packet p))
            packets.Add(new(p.FileOffset, p.Data.ToArray(), p.OriginalLength, p.TimestampNanoseconds, p.LinkType, p.InterfaceId));
        return packets;
    }

    /// <summary>Every block of a little-endian file: offset and type, walked by the lengths alone (not by the reader).</summary>
    private static List<(long Offset, uint Type)> Blocks(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var blocks = new List<(long, uint)>();
        for (int at = 0; at < bytes.Length; at += (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)))
            blocks.Add((at, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at))));
        return blocks;
    }

    private static bool IsPacket(uint type) => type is 2 or 3 or 6;

    /// <summary>Each corpus pcapng file, with each seed of its random jumps.</summary>
    public static TheoryData<string, int> CorpusPcapNgAndSeeds()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in CorpusPcapNg())
        {
            foreach (int seed in FuzzSeeds.Of(7))
                data.Add(name, seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusPcapNgAndSeeds))]
    public void A_cursor_of_its_own_reads_the_packets_the_reader_reads_up_to_a_later_interface(string name, int seed)
    {
        List<Expected> expected = Sequential(Corpus(name));
        List<(long Offset, uint Type)> blocks = Blocks(Corpus(name));
        int first = blocks.FindIndex(b => IsPacket(b.Type));
        // The cursor stops at the first section header or interface description after the first packet.
        int stop = blocks.FindIndex(first, b => b.Type is 1 or 0x0A0D0D0A);
        long stopAt = stop < 0 ? new FileInfo(Corpus(name)).Length : blocks[stop].Offset;

        using PcapNgReader reader = OpenMapped(Corpus(name));
        Assert.True(reader.SkipToNextPacket());
        Assert.True(reader.SkipToNextPacket()); // already there: nothing more is read
        Assert.Equal(blocks[first].Offset, reader.Position);
        Assert.True(reader.SupportsRandomAccess);
        long offset = reader.Position;
        int i = 0;
        while (reader.TryReadAt(ref offset, out Packet p))
        {
            Expected e = expected[i++];
            Assert.Equal(e.Offset, p.FileOffset);
            Assert.Equal(e.Data, p.Data.ToArray());
            Assert.Equal(e.Wire, p.OriginalLength);
            Assert.Equal(e.Time, p.TimestampNanoseconds);
            Assert.Equal(e.LinkType, p.LinkType);
            Assert.Equal(e.Interface, p.InterfaceId);
            Assert.Equal(0, p.Number);
        }
        Assert.Equal(stopAt, offset);
        Assert.Equal(expected.Count(e => e.Offset < stopAt), i);
        Assert.False(reader.TryReadAt(ref offset, out _)); // stays stopped
        Assert.Equal(stopAt, offset);

        // Jumping between packets, from another thread, while this reader is not moved.
        byte[] bytes = File.ReadAllBytes(Corpus(name));
        var random = new Random(seed);
        var jumps = new Thread(() =>
        {
            for (int k = 0; k < 300; k++)
            {
                Expected e = expected[random.Next(i)];
                long cursor = e.Offset;
                reader.PrefetchRecord(cursor);
                Assert.True(reader.TryReadAt(ref cursor, out Packet q, sequential: false));
                Assert.Equal(e.Data, q.Data.ToArray());
                Assert.Equal(e.Offset + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)e.Offset + 4)), cursor);
            }
        });
        jumps.Start();
        jumps.Join();
        Assert.True(reader.TryReadNext(out Packet firstPacket));
        Assert.Equal(expected[0].Offset, firstPacket.FileOffset);
        Assert.Equal(1, firstPacket.Number);
    }

    [Theory]
    [MemberData(nameof(CorpusPcapNg))]
    public void The_boundary_search_finds_the_next_block_from_any_offset(string name)
    {
        List<(long Offset, uint Type)> blocks = Blocks(Corpus(name));
        long[] starts = [.. blocks.Select(b => b.Offset)];
        // Packets after an interface described late refer to an interface the reader has not read: a chain that
        // reaches them is not taken, so a later block is found (pub__ppp__pcapng_example_snap128.pcapng).
        int stop = blocks.FindIndex(blocks.FindIndex(b => IsPacket(b.Type)), b => b.Type is 1 or 0x0A0D0D0A);
        using PcapNgReader reader = OpenMapped(Corpus(name));
        Assert.True(reader.SkipToNextPacket());
        // Every byte of the first 4000 and every 61st after: the very next block start, lengths at both ends agreeing.
        IEnumerable<long> offsets = Enumerable.Range(0, 4000).Select(o => (long)o)
            .Concat(Enumerable.Range(0, (int)(reader.MappedLength / 61)).Select(k => k * 61L));
        int checkedOffsets = 0;
        foreach (long from in offsets.Where(o => o < reader.MappedLength))
        {
            int i = Array.BinarySearch(starts, Math.Max(from, 1));
            int next = i >= 0 ? i : ~i;
            long found = reader.FindRecordBoundary(from, from + (16 << 20));
            if (stop < 0 || next + 8 <= stop)
            {
                Assert.Equal(next == starts.Length ? -1 : starts[next], found);
                checkedOffsets++;
            }
            else
            {
                Assert.True(found == -1 || (found >= from && Array.BinarySearch(starts, found) >= 0), $"from {from}: {found} is not a block start");
            }
        }
        Assert.True(checkedOffsets > Math.Min(4000, reader.MappedLength / 2));
        Assert.Equal(-1, reader.FindRecordBoundary(starts[1] + 1, starts[1] + 4)); // none within the limit
    }

    /// <summary>Ethernet frames of 60 bytes, each with its number in the first byte.</summary>
    private static byte[] Frame(int n)
    {
        byte[] f = new byte[60];
        f[0] = (byte)n;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        return f;
    }

    [Fact]
    public void A_cursor_steps_over_blocks_without_packets_and_stops_at_a_new_interface_or_section()
    {
        var b = new PcapNgBuilder();
        b.Section(bigEndian: false);
        b.Interface(LinkType.Ethernet, 6, 0);
        b.Enhanced(0, 1_000_000, Frame(1), 60);
        b.Block(4, new byte[12]);                 // name resolution
        b.Simple(Frame(2));
        b.Block(5, new byte[20]);                 // interface statistics
        b.Block(0x40000BAD, new byte[7]);         // custom
        b.Enhanced(0, 2_000_000, Frame(3), 60);
        int idb = b.ToArray().Length;
        b.Interface(LinkType.Raw, 9, 0);
        b.Enhanced(1, 3_000_000, Frame(4), 60);
        int shb = b.ToArray().Length;
        b.Section(bigEndian: true);
        b.Interface(LinkType.Ethernet, 6, 0);
        b.Enhanced(0, 4_000_000, Frame(5), 60);
        using var dir = new TempDirectory();
        string path = dir.File("later.pcapng");
        File.WriteAllBytes(path, b.ToArray());

        using PcapNgReader reader = OpenMapped(path);
        Assert.True(reader.SkipToNextPacket());
        long offset = reader.Position;
        var seen = new List<int>();
        while (reader.TryReadAt(ref offset, out Packet p))
            seen.Add(p.Data[0]);
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal(idb, offset);
        // Past the description, the packet refers to an interface the reader has not read.
        long after = idb + (BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(path).AsSpan(idb + 4)));
        CaptureFileException unknown = Assert.Throws<CaptureFileException>(() => reader.TryReadAt(ref after, out _));
        Assert.Contains("interface 1, but the section defines 1", unknown.Message, StringComparison.Ordinal);
        long atSection = shb;
        Assert.False(reader.TryReadAt(ref atSection, out _));
        Assert.Equal(shb, atSection);
        // The reader itself reads on through both.
        var all = new List<int>();
        while (reader.TryReadNext(out Packet p))
            all.Add(p.Data[0]);
        Assert.Equal([1, 2, 3, 4, 5], all);
    }

    private static byte[] OneSection(bool bigEndian, LinkType linkType, int packets)
    {
        var b = new PcapNgBuilder();
        b.Section(bigEndian);
        b.Interface(linkType, 9, 0);
        for (int n = 1; n <= packets; n++)
            b.Enhanced(0, (ulong)n * 1000, Frame(n), 60);
        return b.ToArray();
    }

    /// <summary>
    /// <c>cat a.pcapng b.pcapng</c> of files from one capture set-up: the second section header and interface
    /// descriptions repeat the first's block for block, and a cursor may step over them (nothing it reads changes).
    /// Any other section (another link type, byte order, one more interface) is the reader's.
    /// </summary>
    [Fact]
    public void A_cursor_steps_over_a_section_that_repeats_the_interfaces_block_for_block_and_no_other()
    {
        const int packetBlock = 12 + 20 + 60;
        byte[] first = OneSection(bigEndian: false, LinkType.Ethernet, 3);
        int header = first.Length - 3 * packetBlock; // section header and interface description
        var more = new PcapNgBuilder();
        more.Section(bigEndian: false);
        more.Interface(LinkType.Ethernet, 9, 0);
        more.Interface(LinkType.Raw, 9, 0);
        more.Enhanced(0, 1000, Frame(1), 60);
        using var dir = new TempDirectory();
        string path = dir.File("joined.pcapng");
        foreach ((byte[] second, bool repeats) in new[]
        {
            (OneSection(bigEndian: false, LinkType.Ethernet, 3), true),
            (first[..header], true), // a section without packets, at the end of the file
            (OneSection(bigEndian: false, LinkType.Raw, 3), false),
            (OneSection(bigEndian: true, LinkType.Ethernet, 3), false),
            (more.ToArray(), false),
        })
        {
            File.WriteAllBytes(path, [.. first, .. second]);
            using PcapNgReader reader = OpenMapped(path);
            Assert.True(reader.SkipToNextPacket());
            long offset = reader.Position;
            var seen = new List<(int, long)>();
            while (true)
            {
                if (reader.TryReadAt(ref offset, out Packet p))
                    seen.Add((p.Data[0], p.TimestampNanoseconds));
                else if (!reader.TrySkipRepeatedSection(ref offset))
                    break;
            }
            if (repeats)
            {
                Assert.Equal(reader.MappedLength, offset);
                int again = (second.Length - header) / packetBlock;
                Assert.Equal([.. Enumerable.Range(1, 3).Select(n => (n, n * 1000L)), .. Enumerable.Range(1, again).Select(n => (n, n * 1000L))], seen);
            }
            else
            {
                Assert.Equal(first.Length, offset); // left at the section header
                Assert.Equal(Enumerable.Range(1, 3).Select(n => (n, n * 1000L)), seen);
            }
            // The reader itself reads every packet either way.
            int all = 0;
            while (reader.TryReadNext(out _))
                all++;
            Assert.Equal(3 + (second.Length - header) / packetBlock, all);
        }
    }

    [Fact]
    public void A_big_endian_section_is_read_by_cursors_unless_its_null_headers_are_converted_in_place()
    {
        using var dir = new TempDirectory();
        string path = dir.File("big-endian.pcapng");
        File.WriteAllBytes(path, OneSection(bigEndian: true, LinkType.Ethernet, 20));
        using (PcapNgReader reader = OpenMapped(path))
        {
            Assert.True(reader.SkipToNextPacket());
            Assert.True(reader.SupportsRandomAccess);
            long offset = reader.Position, boundary = reader.FindRecordBoundary(offset + 1, reader.MappedLength);
            var seen = new List<(int, long)>();
            while (reader.TryReadAt(ref offset, out Packet p))
                seen.Add((p.Data[0], p.TimestampNanoseconds));
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (n, n * 1000L)), seen);
            Assert.Equal(reader.MappedLength, offset);
            Assert.Equal(reader.Position + 92, boundary); // the second packet block (12 + 20 + 60 bytes)
        }
        File.WriteAllBytes(path, OneSection(bigEndian: true, LinkType.Null, 2));
        using (PcapNgReader reader = OpenMapped(path))
        {
            Assert.True(reader.SkipToNextPacket());
            Assert.False(reader.SupportsRandomAccess);
            long at = reader.Position;
            Assert.Throws<NotSupportedException>(() => reader.TryReadAt(ref at, out _));
            Assert.Throws<NotSupportedException>(() => reader.FindRecordBoundary(at, at + 100));
        }
        File.WriteAllBytes(path, OneSection(bigEndian: false, LinkType.Null, 2));
        using (PcapNgReader reader = OpenMapped(path))
        {
            Assert.True(reader.SkipToNextPacket());
            Assert.True(reader.SupportsRandomAccess);
        }
    }

    [Fact]
    public void Cut_blocks_and_bad_offsets_are_errors_and_the_end_is_false()
    {
        byte[] whole = OneSection(bigEndian: false, LinkType.Ethernet, 5);
        using var dir = new TempDirectory();
        string path = dir.File("cut.pcapng");
        File.WriteAllBytes(path, whole[..^10]);
        using (PcapNgReader reader = OpenMapped(path))
        {
            Assert.True(reader.SkipToNextPacket());
            long last = whole.Length - 92;
            CaptureFileException cut = Assert.Throws<CaptureFileException>(() =>
            {
                long at = last;
                reader.TryReadAt(ref at, out _);
            });
            Assert.Equal(last, cut.Offset);
            Assert.Contains("truncated block", cut.Message, StringComparison.Ordinal);
            foreach (long bad in new long[] { 3, 0, reader.Position + 2, reader.MappedLength + 4 })
            {
                Assert.Throws<ArgumentOutOfRangeException>(() =>
                {
                    long at = bad;
                    reader.TryReadAt(ref at, out _);
                });
            }
        }
        byte[] badTrailer = (byte[])whole.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badTrailer.AsSpan(whole.Length - 4), 96);
        File.WriteAllBytes(path, badTrailer);
        using (PcapNgReader reader = OpenMapped(path))
        {
            Assert.True(reader.SkipToNextPacket());
            long at = whole.Length - 92;
            CaptureFileException trailer = Assert.Throws<CaptureFileException>(() => reader.TryReadAt(ref at, out _));
            Assert.Contains("block trailer length 96 does not match header length 92", trailer.Message, StringComparison.Ordinal);
            // Read again without the trailer (a cursor that read the block before compared it then).
            Assert.True(reader.TryReadAt(ref at, out Packet again, sequential: false, verifyTrailer: false));
            Assert.Equal(5, again.Data[0]);
            Assert.Equal(whole.Length, at);
            long end = reader.MappedLength;
            Assert.False(reader.TryReadAt(ref end, out _));
        }
    }

    /// <summary>A file of two packets, the first a pcapng file of ten packets (<paramref name="dir"/>/fake.pcapng).</summary>
    private static (string Path, byte[] Inner, byte[] File) WriteCapturedPcapNg(TempDirectory dir)
    {
        byte[] inner = OneSection(bigEndian: false, LinkType.Ethernet, 10);
        var b = new PcapNgBuilder();
        b.Section(bigEndian: false);
        b.Interface(LinkType.Ethernet, 9, 0);
        b.Enhanced(0, 1000, inner, inner.Length);
        b.Enhanced(0, 2000, Frame(2), 60);
        string path = dir.File("fake.pcapng");
        byte[] file = b.ToArray();
        File.WriteAllBytes(path, file);
        return (path, inner, file);
    }

    [Fact]
    public void The_boundary_search_is_fooled_by_a_captured_pcapng_file()
    {
        // A packet whose bytes are a pcapng file of ten packets: a search inside it accepts its blocks. This is why a caller cutting a
        // file checks that the reader of the part before lands on the start found.
        using var dir = new TempDirectory();
        (string path, byte[] inner, byte[] file) = WriteCapturedPcapNg(dir);
        int innerInterface = (int)BinaryPrimitives.ReadUInt32LittleEndian(inner.AsSpan(4)); // after its section header
        using PcapNgReader reader = OpenMapped(path);
        Assert.True(reader.SkipToNextPacket());
        long outer = reader.Position, data = outer + 28;
        Assert.Equal(data + innerInterface, reader.FindRecordBoundary(outer + 1, reader.MappedLength)); // a fake block
        Assert.Equal(file.Length - 92, reader.FindRecordBoundary(data + inner.Length - 40, reader.MappedLength)); // past the fakes: the real one
    }

    [Fact]
    public unsafe void A_copy_that_cuts_the_true_block_does_not_take_the_fake_blocks_inside_it()
    {
        // The captured pcapng file again, searched from the outer block in a copy that ends inside that block: the
        // mapping finds the outer block, and the copy, which holds fake blocks in full but not the outer block's
        // trailer, must say that it cannot tell rather than take them.
        using var dir = new TempDirectory();
        (string path, byte[] inner, _) = WriteCapturedPcapNg(dir);
        using PcapNgReader reader = OpenMapped(path);
        Assert.True(reader.SkipToNextPacket());
        long outer = reader.Position, end = outer + 28 + inner.Length - 40;
        Assert.Equal(outer, reader.FindRecordBoundary(outer, reader.MappedLength));
        byte[] copy = GC.AllocateUninitializedArray<byte>((int)end, pinned: true);
        Assert.Equal(copy.Length, reader.ReadAt(0, copy));
        fixed (byte* c = copy)
        {
            Assert.Equal(-1, reader.FindRecordBoundary(c, 0, end, outer, reader.MappedLength, confirm: 8, out bool inconclusive));
            Assert.True(inconclusive);
            // From inside the outer block's data, the copy holds the fake chain and answers as the mapping does.
            long inside = outer + 29;
            Assert.Equal(reader.FindRecordBoundary(inside, reader.MappedLength),
                reader.FindRecordBoundary(c, 0, end, inside, reader.MappedLength, confirm: 8, out inconclusive));
            Assert.False(inconclusive);
        }
    }

    [Fact]
    public void The_boundary_search_takes_no_chain_through_a_block_of_an_unassigned_type()
    {
        // Readers step over a block of a type the specification does not assign; the search takes no chain through
        // one (bytes of a packet pass for such a block too easily), so it finds the first block after it, and a cursor
        // started before it reads through it to that block.
        var b = new PcapNgBuilder();
        b.Section(bigEndian: false);
        b.Interface(LinkType.Ethernet, 9, 0);
        for (int n = 0; n < 3; n++)
            b.Enhanced(0, (ulong)(1000 + n), Frame(n), 60);
        b.Block(0x00000B0B, new byte[8]);
        for (int n = 3; n < 13; n++)
            b.Enhanced(0, (ulong)(1000 + n), Frame(n), 60);
        using var dir = new TempDirectory();
        string path = dir.File("unassigned.pcapng");
        File.WriteAllBytes(path, b.ToArray());
        List<(long Offset, uint Type)> blocks = Blocks(path);
        int unassigned = blocks.FindIndex(x => x.Type == 0x00000B0B);
        using PcapNgReader reader = OpenMapped(path);
        Assert.True(reader.SkipToNextPacket());
        long first = reader.Position;
        Assert.Equal(blocks[unassigned + 1].Offset, reader.FindRecordBoundary(first, reader.MappedLength));
        long at = first;
        var seen = new List<int>();
        while (reader.TryReadAt(ref at, out Packet p))
            seen.Add(p.Data[0]);
        Assert.Equal(Enumerable.Range(0, 13), seen);
    }

    public static TheoryData<int> FuzzedFilesSeeds() => FuzzSeeds.Of(23);

    [Theory]
    [MemberData(nameof(FuzzedFilesSeeds))]
    public unsafe void Fuzzed_files_read_by_a_cursor_give_the_reader_s_packets_and_errors(int seed)
    {
        // On every mutated file: the cursor reads the packets the reader reads, and where the reader meets a corrupt
        // block the cursor meets it too (same offset), unless it stopped before at a section header or interface
        // description. The boundary search returns -1 or a block-aligned offset in its range, and never throws; in a
        // copy of part of the file it gives the same answer or says that it cannot tell.
        var rng = new Random(seed);
        string[] seeds = ["pub__cs__http_ip4and6.pcapng", "pub__ppp__many_interfaces.pcapng", "pub__cs__tcp_dupack.pcapng",
            "pub__ppp__pcapng_example_snap128.pcapng"];
        byte[][] files = [.. seeds.Select(s => File.ReadAllBytes(Corpus(s)))];
        using var dir = new TempDirectory();
        int corrupt = 0, walked = 0, copiesConclusive = 0;
        for (int i = 0; i < 1200; i++)
        {
            byte[] f = Mutations.Mutate(files[i % files.Length], rng);
            string path = dir.File($"fuzz{i % 4}.pcapng");
            File.WriteAllBytes(path, f);
            var packets = new List<(long Offset, byte[] Data)>();
            long? errorAt = null;
            try
            {
                using PacketSource s = CaptureFile.Open(path);
                while (s.TryReadNext(out Packet p))
                    packets.Add((p.FileOffset, p.Data.ToArray()));
            }
            catch (CaptureFileException ex)
            {
                errorAt = ex.Offset;
                corrupt++;
            }
            PcapNgReader reader;
            try
            {
                reader = OpenMapped(path);
            }
            catch (CaptureFileException)
            {
                Assert.NotNull(errorAt); // a header the reader rejects too
                continue;
            }
            using (reader)
            {
                try
                {
                    if (!reader.SkipToNextPacket() || !reader.SupportsRandomAccess)
                        continue;
                }
                catch (CaptureFileException ex)
                {
                    Assert.Equal(errorAt, ex.Offset);
                    continue;
                }
                long offset = reader.Position;
                int k = 0;
                try
                {
                    while (reader.TryReadAt(ref offset, out Packet p))
                    {
                        Assert.True(k < packets.Count, $"file {i}: the cursor reads a packet at {p.FileOffset} the reader does not");
                        Assert.Equal(packets[k].Offset, p.FileOffset);
                        Assert.Equal(packets[k].Data, p.Data.ToArray());
                        k++;
                    }
                    if (offset == reader.MappedLength)
                    {
                        Assert.Equal(packets.Count, k);
                        Assert.Null(errorAt);
                    }
                    walked++;
                }
                catch (CaptureFileException ex)
                {
                    Assert.Equal(errorAt, ex.Offset);
                    Assert.Equal(packets.Count, k);
                }
                for (int j = 0; j < 20; j++)
                {
                    long from = rng.NextInt64(reader.MappedLength + 8), limit = from + rng.Next(1, 100_000);
                    long found = reader.FindRecordBoundary(from, limit);
                    Assert.True(found == -1 || (found >= from && found < limit && found < reader.MappedLength && (found & 3) == 0), $"file {i}: {found} from {from}");
                    long length = reader.MappedLength;
                    long begin = Math.Clamp(from - rng.Next(0, 128), 0, length), end = Math.Clamp(from + rng.Next(0, 4096), begin, length);
                    byte[] copy = GC.AllocateUninitializedArray<byte>((int)Math.Max(1, end - begin), pinned: true);
                    Assert.Equal(end - begin, reader.ReadAt(begin, copy.AsSpan(0, (int)(end - begin))));
                    fixed (byte* c = copy)
                    {
                        long inCopy = reader.FindRecordBoundary(c - begin, begin, end, from, limit, confirm: 8, out bool inconclusive);
                        Assert.Equal(inconclusive ? -1 : found, inCopy);
                        copiesConclusive += inconclusive ? 0 : 1;
                    }
                }
            }
        }
        Assert.InRange(corrupt, 100, 1199);
        Assert.True(walked > 100, $"only {walked} files walked");
        Assert.True(copiesConclusive > 500, $"only {copiesConclusive} searches in a copy could tell");
    }

    [Fact]
    public void Random_access_needs_a_mapping()
    {
        using var stream = File.OpenRead(Corpus("pub__cs__tcp_dupack.pcapng"));
        using PcapNgReader piped = Assert.IsType<PcapNgReader>(CaptureFile.Open(stream, "piped"));
        Assert.True(piped.SkipToNextPacket());
        Assert.False(piped.SupportsRandomAccess);
        Assert.Throws<NotSupportedException>(() =>
        {
            long at = piped.Position;
            piped.TryReadAt(ref at, out _);
        });
        Assert.Throws<NotSupportedException>(() => piped.FindRecordBoundary(28, 100));
        Assert.True(piped.TryReadNext(out Packet p)); // the reader itself is where it was
        Assert.Equal(1, p.Number);
    }
}
