using System.Buffers.Binary;
using Tributary.Capture.Decoding;
using Tributary.Capture.Files;
using Tributary.Capture.Tests.Corpus;

namespace Tributary.Capture.Tests.Files;

public sealed unsafe class CaptureReaderTests
{
    internal sealed record Rec(byte[] Data, int Length, long Time, LinkType LinkType, int Interface, long Offset);

    internal static List<Rec> ReadAll(PacketSource source)
    {
        var list = new List<Rec>();
        while (source.TryReadNext(out Packet p))
            list.Add(new Rec(p.Data.ToArray(), p.OriginalLength, p.TimestampNanoseconds, p.LinkType, p.InterfaceId, p.FileOffset));
        return list;
    }

    internal static List<Rec> ReadAll(byte[] file, bool map = false, string name = "test")
    {
        if (!map)
        {
            using PacketSource s = CaptureFile.Open(new MemoryStream(file), name);
            return ReadAll(s);
        }
        using var dir = new TempDirectory();
        string path = dir.File("f");
        File.WriteAllBytes(path, file);
        using PacketSource m = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });
        return ReadAll(m);
    }

    private static void AssertSamePackets(List<Rec> expected, List<Rec> actual, bool compareOffsets = false)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Data, actual[i].Data);
            Assert.Equal(expected[i].Length, actual[i].Length);
            Assert.Equal(expected[i].Time, actual[i].Time);
            Assert.Equal(expected[i].LinkType, actual[i].LinkType);
            if (compareOffsets)
                Assert.Equal(expected[i].Offset, actual[i].Offset);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Pcap_in_both_byte_orders_and_resolutions_reads_the_same_packets(bool nanoseconds, bool bigEndian)
    {
        byte[] original = File.ReadAllBytes(CorpusFiles.PathOf("gen__misc_v4_snap96.pcap"));
        List<Rec> expected = ReadAll(original);
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, LinkType.Ethernet, 96, nanoseconds, leaveOpen: true))
        {
            foreach (Rec r in expected)
                w.Write(r.Data, r.Length, r.Time, r.LinkType);
        }
        byte[] file = ms.ToArray();
        if (bigEndian)
            SwapPcap(file);
        List<Rec> actual = ReadAll(file);
        Assert.Equal(nanoseconds ? CaptureFileFormat.PcapNanosecond : CaptureFileFormat.Pcap,
            CaptureFile.Open(new MemoryStream(file), "x").Format);
        AssertSamePackets(expected, actual, compareOffsets: true);
        AssertSamePackets(expected, ReadAll(file, map: true));
    }

    [Fact]
    public void Pcapng_written_here_round_trips_with_interfaces_and_link_types()
    {
        byte[] original = File.ReadAllBytes(CorpusFiles.PathOf("pub__ppp__pcapng_example_snap128.pcapng"));
        List<Rec> expected = ReadAll(original);
        var ms = new MemoryStream();
        using (var w = new PcapNgWriter(ms, leaveOpen: true))
        {
            foreach (Rec r in expected)
                w.Write(r.Data, r.Length, r.Time, r.LinkType, r.Interface);
        }
        List<Rec> actual = ReadAll(ms.ToArray());
        AssertSamePackets(expected, actual);
        Assert.Equal(expected.Select(r => r.Interface), actual.Select(r => r.Interface));
    }

    [Fact]
    public void Pcapng_sections_of_both_byte_orders_resolutions_offsets_and_skipped_blocks()
    {
        byte[] frame = PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 17, PacketBuilder.Udp(1, 2, [1, 2, 3])));
        var ng = new PcapNgBuilder();
        // Section 1, little-endian: µs interface with a comment option, an unknown block, a custom block.
        ng.Section(bigEndian: false);
        ng.Interface(LinkType.Ethernet, resolution: 6, offsetSeconds: 0, name: "eth0");
        ng.Block(0x00000BAD, new byte[13]);                        // custom block, skipped
        ng.Block(0x00000004, [0, 0, 0, 0]);                        // name resolution block, skipped
        ng.Enhanced(0, 1_700_000_000_123_456UL, frame, frame.Length, comment: "hello");
        // Section 2, big-endian: ns interface with if_tsoffset, binary 2^-20 interface.
        ng.Section(bigEndian: true);
        ng.Interface(LinkType.Raw, resolution: 9, offsetSeconds: 100);
        ng.Interface(LinkType.Ethernet, resolution: 0x80 | 20, offsetSeconds: 0);
        byte[] raw = frame[14..];
        ng.Enhanced(0, 5_000_000_001UL, raw, raw.Length + 10);
        ng.Enhanced(1, (3UL << 20) | (1UL << 19), frame, frame.Length);   // 3.5 s
        ng.Simple(raw);                                             // interface 0 of section 2, no time
        ng.Block(0x00000005, new byte[20]);                          // interface statistics, skipped
        List<Rec> r = ReadAll(ng.ToArray());
        Assert.Equal(4, r.Count);
        Assert.Equal((0, LinkType.Ethernet, 1_700_000_000_123_456_000L), (r[0].Interface, r[0].LinkType, r[0].Time));
        Assert.Equal((1, LinkType.Raw, 105_000_000_001L, raw.Length + 10), (r[1].Interface, r[1].LinkType, r[1].Time, r[1].Length));
        Assert.Equal((2, LinkType.Ethernet, 3_500_000_000L), (r[2].Interface, r[2].LinkType, r[2].Time));
        Assert.Equal((1, LinkType.Raw), (r[3].Interface, r[3].LinkType));
        Assert.All(r, x => Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(x.Data, x.LinkType, x.Length, out _)));
        using PacketSource s = CaptureFile.Open(new MemoryStream(ng.ToArray()), "x");
        ReadAll(s);
        Assert.Equal(["eth0", null, null], s.Interfaces.Select(i => i.Name));
        Assert.Equal([0, 1, 1], s.Interfaces.Select(i => i.Section));
    }

    /// <summary>Each file cut, with each seed of its random cuts.</summary>
    public static TheoryData<string, int> CutFilesAndSeeds()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "gen__misc_v4_snap96.pcap", "pub__ppp__nanosecs_big_endian.pcap", "pub__ppp__many_interfaces.pcapng", "pub__cs__http_ip4and6.pcapng" })
        {
            foreach (int seed in FuzzSeeds.Of(5))
                data.Add(name, seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CutFilesAndSeeds))]
    public void A_file_cut_anywhere_yields_every_whole_record_then_an_error_at_the_cut_record(string name, int seed)
    {
        byte[] file = File.ReadAllBytes(CorpusFiles.PathOf(name));
        List<Rec> all = ReadAll(file);
        bool ng = BinaryPrimitives.ReadUInt32LittleEndian(file) == 0x0A0D0D0A;
        var ends = all.Select(r => r.Offset + (ng ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)r.Offset + 4)) : 16 + r.Data.Length)).ToList();
        HashSet<long> boundaries = Boundaries(file);
        var rng = new Random(seed);
        var cuts = Enumerable.Range(24, Math.Min(file.Length - 24, 400)).Concat(Enumerable.Range(0, 300).Select(_ => rng.Next(1, file.Length)));
        foreach (int cut in cuts.Distinct())
        {
            foreach (bool map in new[] { false, true })
            {
                byte[] part = file[..cut];
                int whole = ends.Count(e => e <= cut);
                var got = new List<Rec>();
                CaptureFileException? error = null;
                try
                {
                    if (map)
                    {
                        using var dir = new TempDirectory();
                        File.WriteAllBytes(dir.File("c"), part);
                        using PacketSource s = CaptureFile.Open(dir.File("c"), new CaptureFileOptions { MemoryMap = true });
                        while (s.TryReadNext(out Packet p))
                            got.Add(new Rec([], 0, 0, 0, 0, p.FileOffset));
                    }
                    else
                    {
                        using PacketSource s = CaptureFile.Open(new MemoryStream(part), "cut");
                        while (s.TryReadNext(out Packet p))
                            got.Add(new Rec([], 0, 0, 0, 0, p.FileOffset));
                    }
                }
                catch (CaptureFileException ex)
                {
                    error = ex;
                }
                Assert.Equal(Math.Min(whole, all.Count), got.Count);
                if (boundaries.Contains(cut))
                {
                    Assert.Null(error);          // a cut between blocks/records is a clean, shorter file
                    continue;
                }
                Assert.NotNull(error);
                Assert.Contains("at byte offset", error.Message);
                long containing = boundaries.Where(x => x < cut).DefaultIfEmpty(0).Max();
                Assert.Equal(containing, error.Offset);   // the record or block the cut fell into
            }
        }
    }

    /// <summary>Offsets where a record or block starts or the file ends.</summary>
    private static HashSet<long> Boundaries(byte[] file)
    {
        var set = new HashSet<long> { file.Length };
        if (BinaryPrimitives.ReadUInt32LittleEndian(file) == 0x0A0D0D0A)
        {
            for (long p = 0; p < file.Length; p += BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)p + 4)))
                set.Add(p);
            return set;
        }
        bool big = BinaryPrimitives.ReadUInt32LittleEndian(file) is 0xD4C3B2A1 or 0x4D3CB2A1;
        for (long p = 24; p < file.Length;)
        {
            set.Add(p);
            uint caplen = big ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)p + 8)) : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)p + 8));
            p += 16 + caplen;
        }
        return set;
    }

    [Fact]
    public void Corrupt_files_name_the_file_and_offset()
    {
        byte[] pcap = File.ReadAllBytes(CorpusFiles.PathOf("pub__ppp__one_tcp_stream.pcap"));
        List<Rec> recs = ReadAll(pcap);
        // caplen of the 3rd record set to 16 MiB + 1
        byte[] bad = (byte[])pcap.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan((int)recs[2].Offset + 8), 0x1000001);
        var ex = Assert.Throws<CaptureFileException>(() => ReadAll(bad, name: "bad.pcap"));
        Assert.Equal(recs[2].Offset, ex.Offset);
        Assert.StartsWith($"bad.pcap: invalid packet record: captured length", ex.Message);
        Assert.EndsWith($"at byte offset {recs[2].Offset}", ex.Message);

        Assert.Equal(0, Assert.Throws<CaptureFileException>(() => ReadAll([])).Offset);
        Assert.Contains("not a pcap or pcapng file", Assert.Throws<CaptureFileException>(() => ReadAll("hello world, not a capture"u8.ToArray())).Message);

        byte[] ng = File.ReadAllBytes(CorpusFiles.PathOf("pub__cs__http_ip4and6.pcapng"));
        List<Rec> ngRecs = ReadAll(ng);
        long at = ngRecs[3].Offset;
        byte[] trailer = (byte[])ng.Clone();
        int total = BinaryPrimitives.ReadInt32LittleEndian(trailer.AsSpan((int)at + 4));
        trailer[at + total - 4] ^= 0x40;
        Assert.Equal(at, Assert.Throws<CaptureFileException>(() => ReadAll(trailer)).Offset);
        byte[] iface = (byte[])ng.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(iface.AsSpan((int)at + 8), 9);
        Assert.Contains("interface 9", Assert.Throws<CaptureFileException>(() => ReadAll(iface)).Message);
        byte[] odd = (byte[])ng.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan((int)at + 4), (uint)total + 1);
        Assert.Contains("invalid block length", Assert.Throws<CaptureFileException>(() => ReadAll(odd)).Message);
        byte[] bom = (byte[])ng.Clone();
        bom[8] ^= 0xFF;
        Assert.Contains("byte-order magic", Assert.Throws<CaptureFileException>(() => ReadAll(bom)).Message);
    }

    public static TheoryData<int> FuzzedFilesSeeds() => FuzzSeeds.Of(11);

    [Theory]
    [MemberData(nameof(FuzzedFilesSeeds))]
    public void Fuzzed_files_only_ever_raise_CaptureFileException(int seed)
    {
        var rng = new Random(seed);
        string[] seeds = ["pub__ppp__one_tcp_stream.pcap", "pub__cs__http_ip4and6.pcapng", "pub__ppp__many_interfaces.pcapng",
            "pub__ppp__nanosecs_big_endian.pcap", "pub__ppp__sll2.pcap", "pub__zeek__ipv6_atomic_frag.pcap"];
        byte[][] files = seeds.Select(s => File.ReadAllBytes(CorpusFiles.PathOf(s))).ToArray();
        int errors = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] f = Mutations.Mutate(files[i % files.Length], rng);
            try
            {
                using PacketSource s = CaptureFile.Open(new MemoryStream(f), "fuzz");
                while (s.TryReadNext(out Packet p))
                {
                    PacketDecoder.Decode(p, out DecodedPacket d);
                    _ = d.Payload.Length + d.TcpOptions.Length + d.IpHeader.Length + d.IpPayload.Length;
                    foreach (TcpOption o in new TcpOptionReader(d.TcpOptions))
                        o.TryGetMptcp(out _);
                }
            }
            catch (CaptureFileException)
            {
                errors++;
            }
        }
        Assert.InRange(errors, 100, 2999);   // the mutations hit headers often, but not always
    }

    [Fact]
    public void A_stream_that_returns_short_reads_gives_the_same_packets()
    {
        foreach (string name in new[] { "pub__ppp__sll.pcap", "pub__ppp__pcapng_example_snap128.pcapng" })
        {
            byte[] file = File.ReadAllBytes(CorpusFiles.PathOf(name));
            List<Rec> expected = ReadAll(file);
            using PacketSource s = CaptureFile.Open(new TrickleStream(file, new Random(1)), "-");
            AssertSamePackets(expected, ReadAll(s), compareOffsets: true);
        }
    }

    /// <summary>A pcapng file larger than 4 GiB (a sparse 4.2 GB custom block) read by both paths: offsets are 64-bit.</summary>
    [Fact]
    public void Files_beyond_4_GiB_are_read_with_64_bit_offsets()
    {
        using var dir = new TempDirectory();
        string path = dir.File("huge.pcapng");
        byte[] frame = PacketBuilder.Ethernet(EtherTypes.IPv4, PacketBuilder.IPv4("10.0.0.1", "10.0.0.2", 6, PacketBuilder.Tcp(1, 2, 3, 4, 0x02, [])));
        var head = new PcapNgBuilder();
        head.Section(bigEndian: false);
        head.Interface(LinkType.Ethernet, 6, 0);
        head.Enhanced(0, 1, frame, frame.Length);
        byte[] headBytes = head.ToArray();
        long customLength = (1L << 32) + (1L << 27);        // 4.125 GiB block: its length field would overflow u32…
        customLength = 0xFFFFFFF0;                           // …so use the largest valid one: 4 GiB - 16
        var tail = new PcapNgBuilder();
        tail.Enhanced(0, 2, frame, frame.Length);
        byte[] tailBytes = tail.ToArray();
        using (var fs = new FileStream(path, FileMode.Create))
        {
            fs.Write(headBytes);
            Span<byte> h = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x40000BAD);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)customLength);
            fs.Write(h);
            fs.Seek(headBytes.Length + customLength - 4, SeekOrigin.Begin);
            fs.Write(h[4..]);
            for (int i = 0; i < 3; i++)
                fs.Write(tailBytes);     // three packets beyond 4 GiB
        }
        foreach (bool map in new[] { false, true })
        {
            using PacketSource s = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = map });
            List<Rec> r = ReadAll(s);
            Assert.Equal(4, r.Count);
            Assert.Equal(headBytes.Length + customLength, r[1].Offset);
            Assert.True(r[3].Offset > uint.MaxValue);
            Assert.All(r, x => Assert.Equal(frame, x.Data));
        }
    }

    /// <summary>Byte-swaps every header field of a little-endian pcap in place.</summary>
    private static void SwapPcap(byte[] f)
    {
        static void S32(byte[] b, int at) => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at)));
        static void S16(byte[] b, int at) => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at)));
        int caplen0 = 0;
        S32(f, 0); S16(f, 4); S16(f, 6); S32(f, 8); S32(f, 12); S32(f, 16); S32(f, 20);
        for (int p = 24; p < f.Length; p += 16 + caplen0)
        {
            caplen0 = BinaryPrimitives.ReadInt32LittleEndian(f.AsSpan(p + 8));
            S32(f, p); S32(f, p + 4); S32(f, p + 8); S32(f, p + 12);
        }
    }

    private sealed class TrickleStream(byte[] data, Random rng) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, rng.Next(1, 700)), data.Length - _pos);
            data.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, long* usage);

    /// <summary>Minor page faults taken by the calling thread so far (getrusage RUSAGE_THREAD, ru_minflt).</summary>
    private static unsafe long ThreadMinorFaults()
    {
        long* usage = stackalloc long[18]; // struct rusage: two timevals, then 14 longs: maxrss, ixrss, idrss, isrss, minflt …
        Assert.Equal(0, getrusage(1, usage));
        return usage[8];
    }

    private static long FaultsWhileReading(CaptureFileReader reader)
    {
        long before = ThreadMinorFaults();
        long bytes = 0;
        while (reader.TryReadNext(out Packet p))
            bytes += p.Data[0] + p.Data[^1]; // touch every frame
        GC.KeepAlive(bytes);
        return ThreadMinorFaults() - before;
    }

    [Fact]
    public void PopulateAhead_maps_the_pages_so_that_reading_takes_no_page_faults()
    {
        // The sharded flow stack populates the mapping from a second thread ahead of the reading thread.
        string path = CorpusFiles.PathOf("gen__seed.pcap"); // 17 MB
        long length = new FileInfo(path).Length;
        using (var cold = (CaptureFileReader)CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true }))
        {
            Assert.Equal(length, cold.MappedLength);
            // Reading it takes dozens of faults here (73 to 74 in five runs); when the file's page cache holds large
            // folios, read in by another test, a fault can map up to 2 MiB, which still takes 9 faults.
            long coldFaults = FaultsWhileReading(cold);
            Assert.True(coldFaults >= 8, $"reading a fresh 17 MB mapping takes its page faults (took {coldFaults})");
        }
        using var warm = (CaptureFileReader)CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });
        Assert.True(warm.PopulateAhead(0, length));
        Assert.False(warm.PopulateAhead(length, 4096)); // past the end
        Assert.True(FaultsWhileReading(warm) <= 4);
    }

    [Fact]
    public void PopulateAhead_is_false_for_a_file_that_is_read_not_mapped()
    {
        using var reader = (CaptureFileReader)CaptureFile.Open(CorpusFiles.PathOf("gen__seed.pcap"), new CaptureFileOptions { MemoryMap = false });
        Assert.False(reader.IsMemoryMapped);
        Assert.Equal(-1, reader.MappedLength);
        Assert.False(reader.PopulateAhead(0, 1 << 20));
    }
}
