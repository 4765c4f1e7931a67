using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Internal;

namespace Tributary.Flows.Applications.Stats;

public sealed partial class FlowStatistics
{
    /// <summary>
    /// Bytes of the capture per chunk: small enough that a chunk's copy is still cached when its frames are processed,
    /// large enough that the threads rarely wait for each other (measured on the big capture with copied chunks: 1 MiB
    /// fastest, 512 KiB and 4 MiB 5–10 % slower, 256 KiB 15 %).
    /// </summary>
    internal const long DefaultChunkBytes = 1 << 20;

    /// <summary>Chunks a thread keeps read ahead of its shard before it processes (measured: 2 and 4 equal, 1 slower).</summary>
    private const int ReadAhead = 2;

    /// <summary>Chunk slots in flight per thread (a slot is reused once every shard has processed its chunk).</summary>
    private const int SlotsPerThread = 4;

    /// <summary>Bytes copied past a chunk's nominal end, to search the next chunk's start in (8 records of 2 KiB).</summary>
    private const long SearchMargin = 16 << 10;

    /// <summary>Longest record or packet block the readers accept (CaptureFileReader's limit), plus a header.</summary>
    private const long BoundarySearch = (16 << 20) + 64;

    /// <summary>
    /// Sharding in which every thread reads: a capture file is cut into chunks at record boundaries, and each chunk is
    /// read by whichever thread takes it next. That thread copies the chunk out of the file into the chunk's slot
    /// (positional reads: on a virtual machine that shadows page tables, the first touch of each page of a mapping costs
    /// about a microsecond, and a memory-mapped run spent most of its time there), walks its chain of record headers
    /// and routes every frame by the symmetric 4-tuple hash (read from the raw headers where it can), keeping the
    /// frame's offset and the latest capture time before it in the chunk's list for that shard. Every shard processes its frames of
    /// each chunk in file order, decoding them from the slot while they are still in the cache, and the slot is reused
    /// once every shard is past its chunk. Only 16 bytes per frame cross between cores besides the frames themselves,
    /// and a thread whose shard has less to do reads more of the file. The file is also mapped, but only the search for
    /// a chunk's start reads the mapping.
    ///
    /// A chunk's start is found by a search and checked when the reader of the chunk before lands exactly on it: classic
    /// pcap has no markers between records, and even pcapng's lengths at both ends of a block can be mimicked by the
    /// bytes of a packet. A pcapng file is cut with the interfaces described before its first packet: a cursor stops at
    /// any later interface description or section header. When a reader does not land on the next chunk's start, any
    /// chunk is corrupt, or a cursor stops, the reader itself reads on past the failure
    /// (<see cref="ChunkedRun{TRecords}.ResumeThrough"/>) and what follows is cut again, with the same contexts; the
    /// results and errors are those of one thread. False when the file cannot be cut (nothing is read).
    /// </summary>
    private bool RunChunked(CaptureFileReader source, int n, ref Shard[] shards, ref string strategy, ref int segments, CancellationToken ct)
    {
        switch (source)
        {
            case PcapReader pcap when pcap.SupportsRandomAccess:
                return RunChunked(new PcapRecords(pcap), source, pcap.Position, pcap.MappedLength, n, ref shards, ref strategy, ref segments, ct);
            case PcapNgReader pcapng when pcapng.IsMemoryMapped:
                try
                {
                    // The section header and the interface descriptions before the first packet: every cursor's interfaces.
                    if (!pcapng.SkipToNextPacket() || !pcapng.SupportsRandomAccess)
                        return false;
                }
                catch (CaptureFileException)
                {
                    return false; // the single reader meets the same block and reports it
                }
                return RunChunked(new PcapNgRecords(pcapng), source, pcapng.Position, pcapng.MappedLength, n, ref shards, ref strategy, ref segments, ct);
            default:
                return false;
        }
    }

    private bool RunChunked<TRecords>(TRecords records, CaptureFileReader source, long first, long length, int n, ref Shard[] shards,
        ref string strategy, ref int segments, CancellationToken ct)
        where TRecords : struct, IRecordAccess
    {
        long chunkBytes = _options.ChunkBytes;
        if (ChunkCount(first, length, chunkBytes) < 2 * n)
            return false; // too small to be worth it: one reader
        Shard[]? carried = null;
        long before = long.MinValue;
        // Segments: the file from `first` is cut into chunks; where they fail, one reader goes on and the rest is cut
        // again once it is past the failure, with the same contexts and clock.
        while (true)
        {
            int chunks = ChunkCount(first, length, chunkBytes);
            var starts = new long[chunks + 1];
            Array.Fill(starts, -1);
            starts[0] = first;
            starts[chunks] = length;
            var run = new ChunkedRun<TRecords>(records, starts, chunkBytes, n, _options, ct, carried, before);
            segments++;
            RunOnThreads(n, run.Work);
            ct.ThrowIfCancellationRequested();
            switch (run.Failure)
            {
                case null:
                    shards = run.Shards; // each finished by its thread
                    strategy = carried is null ? "chunked" : "resumed";
                    return true;
                case CaptureFileException or InvalidDataException:
                    break;
                default:
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(run.Failure).Throw();
                    return false;
            }
            // A chunk is corrupt, was cut at the wrong place, or holds a block that cursors do not read (a late
            // interface description, another section): the reader itself goes on from the first chunk some shard
            // has not processed (its start verified by the reader of the chunk before) to past the failure, and
            // the results and errors are those of one thread.
            shards = run.Shards;
            strategy = "resumed";
            if (!run.ResumeThrough(source, out before))
                return true; // the end of the file: every shard finished
            carried = run.Shards;
            if (source is not PcapNgReader pcapng || NextPacketChunkable(pcapng, carried, before))
            {
                first = source.Position;
                if (ChunkCount(first, length, chunkBytes) >= 2 * n)
                    continue;
            }
            // Too little left to cut, the end of the file, or a section whose packets cursors cannot read.
            run.ReadRest(source, before);
            return true;
        }
    }

    /// <summary>
    /// Reads the blocks before the next packet (interface descriptions, a section header) as the single reader would;
    /// true when cursors can read on from there. A fault there ends every context's clock at <paramref name="before"/>.
    /// </summary>
    private static bool NextPacketChunkable(PcapNgReader pcapng, Shard[] shards, long before)
    {
        try
        {
            return pcapng.SkipToNextPacket() && pcapng.SupportsRandomAccess;
        }
        catch (CaptureFileException)
        {
            foreach (Shard shard in shards)
                shard.CatchUp(before);
            throw;
        }
    }

    private static int ChunkCount(long first, long length, long chunkBytes) =>
        (int)Math.Min(int.MaxValue / 2, (length - first + chunkBytes - 1) / chunkBytes);

    /// <summary>
    /// A chunk in flight: each shard's frame offsets, with the latest capture time in the chunk before each frame
    /// (long.MinValue for none), which chunk they belong to, and how many shards have yet to process them.
    /// </summary>
    private sealed unsafe class ChunkSlot
    {
        public readonly long[][] Offsets;
        public readonly long[][] Clocks;
        public readonly int[] Counts;
        /// <summary>The chunk whose lists are complete (published by its reader); -1 before the first.</summary>
        public int Chunk = -1;
        /// <summary>Shards yet to process <see cref="Chunk"/>; the slot is free at 0.</summary>
        public int Pending;

        /// <summary>The chunk's bytes, copied out of the file (pinned; grown for a chunk longer than it).</summary>
        private byte[] _bytes = [];

        /// <summary>Where offset 0 of the file would be, so that <c>Start + offset</c> addresses the copy of the chunk.</summary>
        public byte* Start;

        /// <summary>The first offset of the file the copy holds.</summary>
        public long Begin;

        /// <summary>The end of the bytes the copy holds (it holds [<see cref="Begin"/>, End)).</summary>
        public long End;

        /// <summary>Copies the file's bytes [<paramref name="offset"/>, <paramref name="end"/>) into this slot (fewer at the file's end is an error).</summary>
        public void Load<TRecords>(in TRecords records, long offset, long end, int chunk)
            where TRecords : struct, IRecordAccess
        {
            int length = checked((int)(end - offset));
            if (_bytes.Length < length)
                _bytes = GC.AllocateUninitializedArray<byte>(Math.Max(length, 2 * _bytes.Length), pinned: true);
            if (records.ReadAt(offset, _bytes.AsSpan(0, length)) != length)
                throw new InvalidDataException($"chunk {chunk} of the capture is cut short: the file shrank while it was read");
            Start = (byte*)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_bytes)) - offset;
            Begin = offset;
            End = end;
        }

        public ChunkSlot(int shards)
        {
            Offsets = new long[shards][];
            Clocks = new long[shards][];
            for (int i = 0; i < shards; i++)
            {
                Offsets[i] = new long[1024];
                Clocks[i] = new long[1024];
            }
            Counts = new int[shards];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int shard, long offset, long clock)
        {
            int count = Counts[shard];
            long[] list = Offsets[shard], clocks = Clocks[shard];
            if (count == list.Length)
            {
                Offsets[shard] = list = Grow(list);
                Clocks[shard] = clocks = Grow(clocks);
            }
            list[count] = offset;
            clocks[count] = clock;
            Counts[shard] = count + 1;
        }

        private static long[] Grow(long[] list)
        {
            Array.Resize(ref list, list.Length * 2);
            return list;
        }
    }

    private sealed unsafe class ChunkedRun<TRecords>
        where TRecords : struct, IRecordAccess
    {
        private readonly TRecords _records;
        private readonly long[] _starts;
        private readonly long _chunkBytes;
        private readonly int _n;
        private readonly FlowStatisticsOptions _options;
        private readonly CancellationToken _ct;
        private readonly ChunkSlot[] _slots;
        private readonly int[] _bucketOwner;
        private Exception? _failure;
        /// <summary>Each chunk's latest capture time (long.MinValue for none), written by its reader before it publishes.</summary>
        private readonly long[] _chunkLasts;
        private bool _shardsReady;
        private int _claimed; // the next chunk nobody has taken to read
        /// <summary>The contexts came from the segment before (made, and their clock, by then).</summary>
        private readonly bool _carried;
        /// <summary>The latest capture time before the segment (long.MinValue for none).</summary>
        private readonly long _before;
        /// <summary>The chunk whose reader failed first (-1: none, or the failure was not a reader's).</summary>
        private int _failedChunk = -1;
        /// <summary>Each shard's next chunk to process: the run resumes from the first chunk some shard is not past.</summary>
        private readonly int[] _next;

        public ChunkedRun(TRecords records, long[] starts, long chunkBytes, int n, FlowStatisticsOptions options, CancellationToken ct,
            Shard[]? carried, long before)
        {
            _chunkBytes = chunkBytes;
            _records = records;
            _starts = starts;
            _n = n;
            _options = options;
            _ct = ct;
            Shards = carried ?? new Shard[n];
            _carried = carried is not null;
            _shardsReady = _carried;
            _before = before;
            _next = new int[n];
            _chunkLasts = new long[starts.Length - 1];
            _slots = new ChunkSlot[SlotsPerThread * n];
            for (int i = 0; i < _slots.Length; i++)
                _slots[i] = new ChunkSlot(n);
            _bucketOwner = new int[RoutingBuckets(n)];
            for (int bucket = 0; bucket < _bucketOwner.Length; bucket++)
                _bucketOwner[bucket] = (int)((long)bucket * n / _bucketOwner.Length);
        }

        /// <summary>One context per thread (thread 0 makes them all, while the others start reading; or those of the segment before).</summary>
        public Shard[] Shards { get; }

        public Exception? Failure => Volatile.Read(ref _failure);

        private int Chunks => _starts.Length - 1;

        /// <summary>
        /// Where chunk <paramref name="chunk"/> starts: the first plausible record start at or after its nominal offset
        /// (<see cref="PcapReader.FindRecordBoundary"/>, <see cref="PcapNgReader.FindRecordBoundary"/>). Found by whichever of the two threads that need it (the readers
        /// of the chunk and of the one before) asks first; the search is deterministic, so both agree.
        /// </summary>
        private long Start(int chunk, ChunkSlot? copy = null)
        {
            long start = Volatile.Read(ref _starts[chunk]);
            if (start >= 0)
                return start;
            long from = Nominal(chunk), length = _starts[^1];
            bool inconclusive = true;
            if (copy is not null)
            {
                // Searched in the reader's copy when it holds the chain: the mapping's first touch of a page costs
                // about a microsecond here, and its fault-around maps 16 pages (measured: 0.12 s of a two-thread run).
                start = _records.FindRecordBoundary(copy.Start, copy.Begin, copy.End, from, from + BoundarySearch, out inconclusive);
            }
            if (inconclusive)
                start = _records.FindRecordBoundary(from, from + BoundarySearch);
            if (start < 0 && from + BoundarySearch >= length)
                start = length; // no record starts after it: the last record spans the rest, this chunk and any after it are empty
            else if (start < 0)
                throw new InvalidDataException($"no record boundary found near offset {from} of the capture");
            Volatile.Write(ref _starts[chunk], start);
            return start;
        }

        /// <summary>Where chunk <paramref name="chunk"/> would start if records fell on its nominal boundary.</summary>
        private long Nominal(int chunk) => _starts[0] + chunk * _chunkBytes;

        private bool Published(int chunk) => Volatile.Read(ref _slots[chunk % _slots.Length].Chunk) == chunk;

        /// <summary>
        /// Whether chunk <paramref name="chunk"/> may be read into its slot: the chunk that held the slot before it
        /// (one lap of slots earlier, or none) has been published and processed by every shard. Pending alone is not
        /// enough: it is also 0 while that earlier chunk is still being read.
        /// </summary>
        private bool SlotFree(int chunk)
        {
            ChunkSlot slot = _slots[chunk % _slots.Length];
            int previous = chunk - _slots.Length;
            return Volatile.Read(ref slot.Chunk) == (previous < 0 ? -1 : previous) && Volatile.Read(ref slot.Pending) == 0;
        }

        /// <summary>Thread <paramref name="index"/>: reads chunks as it takes them, and processes its shard's frames of every chunk in order.</summary>
        public void Work(int index)
        {
            int reading = -1;
            try
            {
                if (index == 0 && !_carried)
                {
                    // Making the first context loads the engine's types (milliseconds, one thread at a time): thread 0
                    // makes them all while the others read ahead and compile the loops.
                    for (int i = 0; i < _n; i++)
                        Shards[i] = new Shard(_options);
                    Volatile.Write(ref _shardsReady, true);
                }
                else if (index == _n - 1)
                {
                    // The loops are compiled fully on first use (AggressiveOptimization): compiled here, meanwhile.
                    foreach (string name in (string[])[nameof(Read), nameof(Process)])
                        RuntimeHelpers.PrepareMethod(typeof(ChunkedRun<TRecords>).GetMethod(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.MethodHandle);
                }
                long clock = _before; // the latest capture time of the chunks this shard is past
                int nextProcess = 0;
                bool ready = false;
                // Work-conserving, and balancing itself: a thread reads the next unread chunk (whichever it is) when
                // it has fewer than ReadAhead chunks read ahead of its shard or nothing to process, and otherwise
                // processes its shard's frames of the next chunk in file order. A thread whose shard has less to do
                // thus reads more of the file; a hiccup of one core costs the other only what it cannot do ahead.
                for (int spins = 0; nextProcess < Chunks;)
                {
                    ready = ready || Volatile.Read(ref _shardsReady);
                    bool canProcess = ready && Published(nextProcess);
                    int claim = Volatile.Read(ref _claimed);
                    if (claim < Chunks && (claim - nextProcess < ReadAhead || !canProcess) && SlotFree(claim)
                        && Interlocked.CompareExchange(ref _claimed, claim + 1, claim) == claim)
                    {
                        reading = claim;
                        Read(claim);
                        reading = -1;
                        spins = 0;
                    }
                    else if (canProcess)
                    {
                        Process(nextProcess, index, clock);
                        clock = Math.Max(clock, _chunkLasts[nextProcess++]);
                        _next[index] = nextProcess;
                        spins = 0;
                    }
                    else
                    {
                        if (Failure is not null)
                            return;
                        _ct.ThrowIfCancellationRequested();
                        Pause(spins++);
                    }
                }
                // Every chunk is published by now (this shard is past them all), so the input's latest capture time
                // is known: each thread finishes its own shard, the contexts in parallel (measured: 3-8 ms in a row).
                long last = Math.Max(0, _before);
                foreach (long chunkLast in _chunkLasts)
                    last = Math.Max(last, chunkLast);
                Shards[index].Finish(last);
            }
            catch (Exception ex)
            {
                // The first failure of any thread decides; the others stop at their next wait.
                if (Interlocked.CompareExchange(ref _failure, ex, null) is null)
                    _failedChunk = reading;
            }
        }

        /// <summary>
        /// Reads chunk <paramref name="chunk"/> into its slot's lists and publishes them with the chunk's latest capture
        /// time (µs). Its frames are processed by their shards, the reader's own too (measured: a reader that had
        /// processed every chunk before could process its own frames as it read them, but was so 1 chunk in 400).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Read(int chunk)
        {
            ChunkSlot slot = _slots[chunk % _slots.Length]; // free: every shard is past the chunk it held
            Array.Clear(slot.Counts);
            // The copy covers the chunk's nominal range with a margin at both ends, so that both boundaries can be
            // searched in it; a chunk whose records overrun the margin is copied again, exactly.
            long length = _starts[^1];
            long copyFrom = chunk == 0 ? _starts[0] : Math.Max(_starts[0], Nominal(chunk) - 64);
            long copyEnd = chunk + 1 == Chunks ? length : Math.Min(length, Nominal(chunk + 1) + SearchMargin);
            slot.Load(_records, copyFrom, copyEnd, chunk);
            long offset = Start(chunk, slot), end = Start(chunk + 1, slot), last = long.MinValue;
            if (end < offset)
                throw new InvalidDataException($"chunk {chunk} of the capture ends before it starts"); // a wrong boundary
            if (offset < copyFrom || end > copyEnd)
                slot.Load(_records, offset, end, chunk);
            int[] owners = _bucketOwner;
            uint mask = (uint)owners.Length - 1;
            byte* start = slot.Start;
            var decoded = new PacketContext();
            while (offset < end)
            {
                long at = offset;
                if (!_records.TryReadAt(start, end, ref offset, out Packet p, sequential: true))
                {
                    // A section that repeats the interfaces (files joined by cat) changes nothing a shard sees.
                    if (_records.TrySkipRepeatedSection(start, end, ref offset))
                        continue;
                    break;
                }
                long us = p.TimestampNanoseconds / 1000, clock = last;
                if (us > last)
                    last = us;
                fixed (byte* d = p.Data)
                {
                    // Only the frame's route is needed now; the common case gets it from the raw headers (a run of
                    // the straight-line path's checks), the rest are decoded.
                    if (FrameDecoder.TryRouteHash(d, p.Data.Length, (int)p.LinkType, out uint hash))
                    {
                        slot.Add(owners[hash & mask], at, clock);
                        continue;
                    }
                    FrameDecoder.Decode(ref decoded, d, p.Data.Length, (int)p.LinkType, p.OriginalLength);
                    slot.Add(decoded.Status == DecodeStatus.Tcp ? owners[decoded.SymmetricHash() & mask] : 0, at, clock);
                }
            }
            if (offset != end)
            {
                // A wrong boundary (stepped over, or a record cut by it), or a block a cursor does not read.
                throw new InvalidDataException($"the reader of chunk {chunk} stopped at offset {offset}, not at the next chunk's start {end}");
            }
            _ct.ThrowIfCancellationRequested();
            slot.Pending = _n;
            _chunkLasts[chunk] = last;
            Volatile.Write(ref slot.Chunk, chunk);
        }

        /// <summary>
        /// After a failed run, once every thread has stopped: <paramref name="source"/> itself reads on from the first
        /// chunk that some shard has not processed (its start was verified by the reader of the chunk before), each
        /// frame going to its shard unless that shard processed it already, to past the start of the chunk after the
        /// one that failed (to the end when the failure was not a reader's). True when it stopped there, with
        /// <paramref name="latest"/> the latest capture time read; false at the end of the file, every shard finished.
        /// A fault the reader meets ends every shard's clock at the latest capture time before it, as it ends one
        /// context's, and is thrown.
        /// </summary>
        public bool ResumeThrough(CaptureFileReader source, out long latest)
        {
            for (int i = 0; i < _n; i++)
            {
                if (Shards[i] is null)
                {
                    Shards[i] = new Shard(_options); // thread 0 failed before it made them all
                    _next[i] = 0;
                }
            }
            int from = _next.Min();
            // Each shard's frames before the start of its next chunk are processed.
            long[] done = [.. _next.Select(next => _starts[next])];
            long last = _before;
            for (int chunk = 0; chunk < from; chunk++)
                last = Math.Max(last, _chunkLasts[chunk]);
            long until = _failedChunk < 0 ? long.MaxValue : Nominal(_failedChunk + 2);
            source.SkipTo(_starts[from]);
            return ReadOn(source, done, last, until, out latest);
        }

        /// <summary>Every frame of <paramref name="source"/> from where it is to the end, then every shard finished.</summary>
        public void ReadRest(CaptureFileReader source, long before) =>
            ReadOn(source, new long[_n], before, long.MaxValue, out _);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool ReadOn(CaptureFileReader source, long[] done, long last, long until, out long latest)
        {
            int[] owners = _bucketOwner;
            uint mask = (uint)owners.Length - 1;
            var decoded = new PacketContext();
            try
            {
                for (int n = 1; source.TryReadNext(out Packet p); n++)
                {
                    long us = p.TimestampNanoseconds / 1000, clock = last;
                    if (us > last)
                        last = us;
                    fixed (byte* d = p.Data)
                    {
                        FrameDecoder.Decode(ref decoded, d, p.Data.Length, (int)p.LinkType, p.OriginalLength);
                        int owner = decoded.Status == DecodeStatus.Tcp ? owners[decoded.SymmetricHash() & mask] : 0;
                        if (p.FileOffset >= done[owner])
                            Shards[owner].ProcessDecoded(ref decoded, us, clock);
                    }
                    if (source.Position >= until)
                    {
                        latest = last;
                        return true;
                    }
                    if ((n & 0xFFFF) == 0)
                        _ct.ThrowIfCancellationRequested();
                }
            }
            catch (CaptureFileException)
            {
                foreach (Shard shard in Shards)
                    shard.CatchUp(last);
                throw;
            }
            foreach (Shard shard in Shards)
                shard.Finish(Math.Max(0, last));
            latest = last;
            return false;
        }

        /// <summary>
        /// Waiting for the other core, which is busy on work this thread needs within microseconds: spin, and only
        /// after a while give the core away (never sleep: SpinWait's 1 ms sleeps would idle a core per wait).
        /// </summary>
        private static void Pause(int spins)
        {
            if (spins < 1000)
                Thread.SpinWait(16);
            else
                Thread.Yield();
        }

        /// <summary>Frames prefetched ahead in a list (each a record header and the frame headers behind it).</summary>
        private const int PrefetchAhead = 8;

        /// <summary>
        /// Processes shard <paramref name="shard"/>'s frames of chunk <paramref name="chunk"/>, which its reader has
        /// published (<paramref name="before"/>: the latest capture time before the chunk).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Process(int chunk, int shard, long before)
        {
            ChunkSlot slot = _slots[chunk % _slots.Length];
            Shard own = Shards[shard];
            long[] offsets = slot.Offsets[shard], clocks = slot.Clocks[shard];
            int count = slot.Counts[shard];
            byte* start = slot.Start;
            long end = slot.End;
            var decoded = new PacketContext();
            for (int k = 0; k < count; k++)
            {
                if (k + PrefetchAhead < count && System.Runtime.Intrinsics.X86.Sse.IsSupported)
                {
                    byte* ahead = start + offsets[k + PrefetchAhead];
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(ahead);
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(ahead + 64);
                }
                long offset = offsets[k];
                if (!_records.TryReadAgain(start, end, ref offset, out Packet p))
                    throw new InvalidOperationException("a listed record vanished");
                fixed (byte* d = p.Data)
                {
                    FrameDecoder.Decode(ref decoded, d, p.Data.Length, (int)p.LinkType, p.OriginalLength);
                    own.ProcessDecoded(ref decoded, p.TimestampNanoseconds / 1000, Math.Max(before, clocks[k]));
                }
            }
            Interlocked.Decrement(ref slot.Pending); // at 0 the slot is free for the chunk one lap later
        }
    }
}
