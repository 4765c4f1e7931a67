using System.Runtime.CompilerServices;
using System.Diagnostics;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Live;
using Tributary.Flows.Internal;

namespace Tributary.Flows.Applications.Stats;

/// <summary>Options of the <c>flows stats</c> workload.</summary>
public sealed record FlowStatisticsOptions
{
    /// <summary>Receive buffers on, with a CONN_NEW_DATA callback doing one buffer-info query and one 64 KiB peek.</summary>
    public bool Buffers { get; init; }
    public bool Checksums { get; init; }
    /// <summary>Shards (one context per thread, symmetric 4-tuple hash).</summary>
    public int Threads { get; init; } = 1;
    public int TcpTimeoutSeconds { get; init; } = 30;
    /// <summary>
    /// Tracks flows whose SYN was not seen, from their first packet, instead of counting their packets as orphans
    /// (<see cref="MonitorContextOptions.AdoptMidstream"/>): a capture started after its connections were.
    /// </summary>
    public bool AdoptMidstream { get; init; }

    /// <summary>
    /// Instruments that report the run's counters while it runs (every context joins them when it is made, summed over
    /// the shards); null for none. The run does not dispose them.
    /// </summary>
    public Telemetry.FlowMetrics? Metrics { get; init; }

    /// <summary>Bytes per chunk of a file read by all threads (tests make it small to cut small files into many chunks).</summary>
    internal long ChunkBytes { get; init; } = FlowStatistics.DefaultChunkBytes;
}

/// <summary>Totals of a <c>flows stats</c> run.</summary>
public sealed class FlowStatisticsResult
{
    public long Packets { get; internal set; }
    public long TcpPackets { get; internal set; }
    public long Flows { get; internal set; }
    public long Orphans { get; internal set; }
    public long Retransmissions { get; internal set; }
    public long Errors { get; internal set; }
    public long Malformed { get; internal set; }
    public long ChecksumErrors { get; internal set; }
    public long NewDataEvents { get; internal set; }
    public long PeekedBytes { get; internal set; }
    /// <summary>Flows that ended, by "client/server" state before their teardown; flows still open at the end under "open:client/server".</summary>
    public SortedDictionary<string, long> FinalStates { get; } = new(StringComparer.Ordinal);
    public TimeSpan Elapsed { get; internal set; }
    /// <summary>
    /// The input fault that ended the run early: the file and byte offset, or the live capture's failed operation and
    /// errno. The totals cover everything before it.
    /// </summary>
    public string? InputError { get; internal set; }
    /// <summary>
    /// How the input was read: "single" (one context: one thread reading a file, standard input or one live
    /// capture), "chunked" (a file cut into chunks that every thread reads), "resumed" (chunked, and where chunks
    /// failed the file's reader read on past the failure with the same contexts, the rest cut again), "pipelined" (a
    /// file that cannot be cut: one thread reads and routes to several contexts) or "fanout" (a live group, one
    /// capture per context). Where <c>--threads N</c> gains less than expected, this says why.
    /// </summary>
    public string Strategy { get; internal set; } = "single";

    /// <summary>How many times the file (what was left of it) was cut into chunks.</summary>
    internal int ChunkedSegments { get; set; }
    public double MegaPacketsPerSecond => Elapsed.TotalSeconds > 0 ? Packets / Elapsed.TotalSeconds / 1e6 : 0;
    /// <summary>Frames each context processed, in shard order (one entry without sharding): how evenly the work was spread.</summary>
    public IReadOnlyList<long> ShardPackets => _shardPackets;

    private readonly List<long> _shardPackets = [];

    internal void AddShard(long packets) => _shardPackets.Add(packets);

    /// <summary>Managed heap growth per tracked flow at the peak of concurrency is not exposed here; see the benchmark.</summary>
    public int PeakFlows { get; internal set; }
}

/// <summary>
/// The standard monitoring workload (DESIGN.md "flows stats"), after mOS's midstat: a stream listener with
/// ConnectionStart and ConnectionEnd at the Send hook and TcpStateChange at both hooks reading the side's state;
/// receive buffers off unless <see cref="FlowStatisticsOptions.Buffers"/>, then also ConnectionNewData with one
/// peek. Sharded over threads as mOS shards over cores, one context per thread, frames routed by their symmetric
/// 4-tuple hash: over a memory-mapped pcap or pcapng file every thread reads chunks of the file, and where a file
/// cannot be cut one thread reads and routes (<see cref="Run(string, CancellationToken)"/>); over sources split by the kernel
/// already (a live fanout group) each thread takes one source (<see cref="Run(IReadOnlyList{PacketSource}, CancellationToken)"/>).
/// </summary>
public sealed partial class FlowStatistics
{
    private readonly FlowStatisticsOptions _options;

    public FlowStatistics(FlowStatisticsOptions options) => _options = options;

    /// <summary>Runs over a capture file ("-" = standard input); input that cannot be memory-mapped (standard input, a pipe) runs one context.</summary>
    public FlowStatisticsResult Run(string path, CancellationToken cancellationToken = default)
    {
        string? error = null;
        string strategy = "single";
        int segments = 0;
        Shard[] shards;
        var watch = Stopwatch.StartNew();
        // Opened once for every strategy; a file that is not a capture at all fails here, before anything is read.
        using (CaptureFileReader reader = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = _options.Threads > 1 }))
        {
            int threads = reader.IsMemoryMapped ? Math.Max(1, _options.Threads) : 1;
            shards = new Shard[threads];
            try
            {
                if (threads == 1)
                {
                    shards[0] = new Shard(_options);
                    shards[0].Run(reader, cancellationToken);
                }
                else if (RunChunked(reader, threads, ref shards, ref strategy, ref segments, cancellationToken))
                {
                    // "chunked", or "resumed" when one reader went on from where a chunk failed
                }
                else
                {
                    strategy = "pipelined"; // also when the input turns out to be corrupt on the way
                    RunPipelined(reader, shards, cancellationToken);
                }
            }
            catch (CaptureFileException ex)
            {
                error = ex.Message; // the totals cover every frame before the fault
            }
        }
        watch.Stop();
        var result = new FlowStatisticsResult { Elapsed = watch.Elapsed, InputError = error, Strategy = strategy, ChunkedSegments = segments };
        foreach (Shard s in shards)
            s.AddTo(result);
        return result;
    }

    /// <summary>Bytes of the mapping kept populated ahead of the reading thread, in steps of <see cref="PopulateStep"/>.</summary>
    private const long PopulateWindow = 32 << 20;
    private const long PopulateStep = 2 << 20;

    private static long PopulateAhead(CaptureFileReader reader, long populated, long readPosition)
    {
        long length = reader.MappedLength;
        while (populated < length && populated < readPosition + PopulateWindow)
        {
            if (!reader.PopulateAhead(Math.Max(populated, readPosition), PopulateStep))
                return length; // past the end (or not mapped): nothing left to populate
            populated = Math.Max(populated, readPosition) + PopulateStep;
        }
        return populated;
    }

    private const int BatchSize = 2048;

    /// <summary>
    /// Sharding with one reading thread, for a memory-mapped capture (its frames stay addressable until the reader is
    /// disposed) that cannot be read in chunks: this thread reads and decodes every frame once, processes shard 0's
    /// packets itself and hands the others to their shard threads in batches of decoded frames that point into the
    /// mapping (symmetric 4-tuple hash, so both directions of a connection meet in one context, INVENTORY §1).
    /// </summary>
    private unsafe void RunPipelined(CaptureFileReader reader, Shard[] shards, CancellationToken ct)
    {
        int n = shards.Length;
        for (int i = 0; i < n; i++)
            shards[i] = new Shard(_options);
        var queues = new System.Collections.Concurrent.BlockingCollection<Batch>[n];
        var pool = new System.Collections.Concurrent.ConcurrentBag<RoutedFrame[]>();
        var workers = new Thread[n];
        long last = 0;
        var positionHolder = new StrongBox<long>();
        for (int i = 1; i < n; i++)
        {
            int index = i;
            queues[i] = new System.Collections.Concurrent.BlockingCollection<Batch>(64);
            workers[i] = new Thread(() =>
            {
                long populated = 0, released = 0;
                while (true)
                {
                    // The reading thread would otherwise take every page fault of the mapping itself: shard 1 maps the
                    // pages ahead of it while it waits for work (kernel time moves off the bottleneck thread).
                    if (index == 1)
                        populated = PopulateAhead(reader, populated, Volatile.Read(ref positionHolder.Value));
                    if (!queues[index].TryTake(out Batch batch, index == 1 && populated < reader.MappedLength ? 1 : Timeout.Infinite))
                    {
                        if (queues[index].IsCompleted)
                            break;
                        continue;
                    }
                    RoutedFrame[] frames = batch.Frames;
                    int count = batch.Count;
                    // Frames arrive decoded: without buffers this shard never touches the frame bytes, which the
                    // reading thread loaded on the other core.
                    for (int k = 0; k < count; k++)
                    {
                        if (k + 4 < count && System.Runtime.Intrinsics.X86.Sse.IsSupported)
                        {
                            // Written on the other core: fetch the entries a few ahead (an entry spans 2–3 lines).
                            byte* ahead = (byte*)Unsafe.AsPointer(ref frames[k + 4]);
                            System.Runtime.Intrinsics.X86.Sse.Prefetch0(ahead);
                            System.Runtime.Intrinsics.X86.Sse.Prefetch0(ahead + 64);
                            System.Runtime.Intrinsics.X86.Sse.Prefetch0(ahead + 128);
                        }
                        shards[index].ProcessDecoded(ref frames[k].Frame, frames[k].Frame.TimestampUs, frames[k].Clock);
                    }
                    pool.Add(frames);
                    // Every frame before this batch's last one is done here, and before the published position in the
                    // reading thread: shard 1 tears that part of the mapping down now rather than the process at exit.
                    if (index == 1 && n == 2)
                        released = ReleaseBehind(reader, released, Math.Min(batch.End, Volatile.Read(ref positionHolder.Value)));
                }
            }) { IsBackground = true, Name = $"flows-shard-{index}" };
            workers[i].Start();
        }
        // The reading thread also reads, decodes and routes every frame; shard 1 also takes the page faults of the
        // mapping (PopulateAhead). Measured on the big capture on 2 cores, with the reader's blocked time (queue full)
        // and shard 1's idle time as the balance: the reader takes 0.7 of a share of the flows without buffers and
        // 1.3 shares with reassembly, where processing dominates (symmetric hash → bucket → shard).
        double readerWeight = _options.Buffers ? 1.3 : 0.7;
        var bucketOwner = new int[RoutingBuckets(n)];
        double total = readerWeight + (n - 1), edge = 0;
        for (int shard = 0, bucket = 0; shard < n; shard++)
        {
            edge += (shard == 0 ? readerWeight : 1) / total * bucketOwner.Length;
            for (; bucket < bucketOwner.Length && (bucket < (int)Math.Round(edge) || shard == n - 1); bucket++)
                bucketOwner[bucket] = shard;
        }
        var route = new Router(shards[0], bucketOwner, queues, pool, ct);
        CaptureFileException? fault = null;
        try
        {
            last = route.Run(reader, positionHolder);
        }
        catch (CaptureFileException ex)
        {
            fault = ex;
        }
        finally
        {
            route.Flush();
            for (int i = 1; i < n; i++)
                queues[i].CompleteAdding();
            for (int i = 1; i < n; i++)
                workers[i].Join();
        }
        if (fault is not null)
        {
            // One context stops at the fault with its clock at the latest capture time read before it, the timers
            // due by then fired. A shard has only seen the times of its own frames: it catches up, or a flow that
            // one context timed out would stay open in it.
            foreach (Shard s in shards)
                s.CatchUp(route.Latest);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
        }
        foreach (Shard s in shards)
            s.Finish(last);
    }

    /// <summary>Releases the mapping from <paramref name="released"/> to <paramref name="safe"/> in steps of <see cref="PopulateWindow"/>.</summary>
    private static long ReleaseBehind(CaptureFileReader reader, long released, long safe)
    {
        if (safe - released < PopulateWindow)
            return released;
        reader.Release(released, safe - released);
        return safe;
    }

    /// <summary>Decoded frames for a shard: the first <see cref="Count"/> of <see cref="Frames"/>, the last of them at file offset <see cref="End"/>.</summary>
    private readonly record struct Batch(RoutedFrame[] Frames, int Count, long End);

    /// <summary>A decoded frame for another shard, and the latest capture time of the frames before it (long.MinValue for none).</summary>
    private struct RoutedFrame
    {
        public PacketContext Frame;
        public long Clock;
    }

    /// <summary>The sharding reader's loop: decode, route by symmetric hash, batch for the other shards, process its own.</summary>
    private sealed unsafe class Router(Shard own, int[] bucketOwner, System.Collections.Concurrent.BlockingCollection<Batch>[] queues,
        System.Collections.Concurrent.ConcurrentBag<RoutedFrame[]> pool, CancellationToken ct)
    {
        private readonly RoutedFrame[]?[] _pending = new RoutedFrame[queues.Length][];
        private readonly int[] _filled = new int[queues.Length];

        /// <summary>The latest capture time (µs) of the frames read so far, long.MinValue before the first.</summary>
        public long Latest { get; private set; } = long.MinValue;

        /// <summary>Reads to the end; returns the last timestamp (µs).</summary>
        public long Run(CaptureFileReader reader, StrongBox<long> position)
        {
            long last = long.MinValue; // the latest capture time so far: every shard's clock
            int seen = 0;
            var decoded = new PacketContext();
            while (reader.TryReadNext(out Packet p))
            {
                long us = p.TimestampNanoseconds / 1000, clock = last;
                if (us > last)
                    Latest = last = us;
                if ((seen & 1023) == 0)
                    Volatile.Write(ref position.Value, p.FileOffset);
                int owner = 0;
                fixed (byte* d = p.Data)
                {
                    FrameDecoder.Decode(ref decoded, d, p.Data.Length, (int)p.LinkType, p.OriginalLength);
                    if (decoded.Status == DecodeStatus.Tcp)
                        owner = bucketOwner[decoded.SymmetricHash() & (bucketOwner.Length - 1)];
                    if (owner != 0)
                    {
                        RoutedFrame[] batch = _pending[owner] ??= pool.TryTake(out RoutedFrame[]? b) ? b : new RoutedFrame[BatchSize];
                        decoded.TimestampUs = us;
                        ref RoutedFrame routed = ref batch[_filled[owner]++];
                        routed.Frame = decoded;
                        routed.Clock = clock;
                        if (_filled[owner] == BatchSize)
                        {
                            queues[owner].Add(new Batch(batch, BatchSize, p.FileOffset), ct);
                            _pending[owner] = null;
                            _filled[owner] = 0;
                        }
                    }
                    else
                    {
                        own.ProcessDecoded(ref decoded, us, clock); // decoded once, here
                    }
                }
                if ((++seen & 0xFFFF) == 0)
                    ct.ThrowIfCancellationRequested();
            }
            return Math.Max(last, 0); // as one context, which finishes at 0 at the latest
        }

        /// <summary>Hands the partly filled batches over.</summary>
        public void Flush()
        {
            for (int i = 1; i < queues.Length; i++)
            {
                if (_filled[i] > 0)
                {
                    queues[i].Add(new Batch(_pending[i]!, _filled[i], 0));
                    _pending[i] = null;
                    _filled[i] = 0;
                }
            }
        }
    }

    /// <summary>
    /// Runs one context per source, each on a thread of its own, over sources that already hold disjoint sets of
    /// whole connections: the captures of one fanout group (<c>LiveCapture.OpenGroup</c>), whose kernel hash sends both
    /// directions of a connection to the same capture, as mOS's per-core stacks get theirs from the NIC. Returns the
    /// totals of all contexts when every source has ended (a live one when it is stopped). With one source this is
    /// <see cref="Run(PacketSource, CancellationToken)"/>.
    /// </summary>
    public FlowStatisticsResult Run(IReadOnlyList<PacketSource> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
            throw new ArgumentException("no source", nameof(sources));
        if (sources.Count == 1)
            return Run(sources[0], cancellationToken);
        var shards = new Shard[sources.Count];
        for (int i = 0; i < shards.Length; i++)
            shards[i] = new Shard(_options); // the sources are split already: each context takes all of its source
        var errors = new Exception?[sources.Count];
        var watch = Stopwatch.StartNew();
        RunOnThreads(shards.Length, index =>
        {
            try
            {
                shards[index].Run(sources[index], cancellationToken);
            }
            catch (Exception ex)
            {
                errors[index] = ex;
                if (ex is not CaptureFileException)
                {
                    foreach (PacketSource other in sources)
                        other.Stop(); // a live group without one of its captures would lose that one's connections
                }
            }
        });
        watch.Stop();
        var result = new FlowStatisticsResult { Elapsed = watch.Elapsed, Strategy = "fanout" };
        foreach (Exception? ex in errors)
        {
            switch (ex)
            {
                case null:
                    break;
                case CaptureFileException or CaptureSystemException:
                    result.InputError ??= ex.Message; // the other captures were stopped: the totals cover the group up to then
                    break;
                default:
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex).Throw();
                    break;
            }
        }
        foreach (Shard s in shards)
            s.AddTo(result);
        return result;
    }

    /// <summary>
    /// How many buckets the symmetric hash is cut into before the buckets are dealt to <paramref name="shards"/>
    /// shards: a power of two, at least four per shard so that every shard gets connections, and at least 1,024,
    /// which keeps the shares even (the table of owners fits in 4 KiB).
    /// </summary>
    internal static int RoutingBuckets(int shards) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1024, 4 * shards));

    /// <summary>Shards on threads of their own, the caller's first (<see cref="ShardThreads"/>).</summary>
    private static void RunOnThreads(int n, Action<int> work) => ShardThreads.Run(n, work, "flows-shard");

    /// <summary>
    /// A fault of the input met while reading it, which ends the run with the totals of everything before it: a corrupt
    /// or truncated file, or a live capture that failed (its interface went down or away).
    /// </summary>
    private static bool IsInputFault(Exception ex) => ex is CaptureFileException or CaptureSystemException;

    /// <summary>Runs one context over an already opened source (live capture, tests, benchmarks).</summary>
    public FlowStatisticsResult Run(PacketSource source, CancellationToken cancellationToken = default)
    {
        var shard = new Shard(_options);
        var watch = Stopwatch.StartNew();
        string? error = null;
        try
        {
            shard.Run(source, cancellationToken);
        }
        catch (Exception ex) when (IsInputFault(ex))
        {
            error = ex.Message;
        }
        var result = new FlowStatisticsResult { Elapsed = watch.Elapsed, InputError = error };
        shard.AddTo(result);
        return result;
    }

    private sealed class Shard
    {
        private readonly MonitorContext _ctx;
        private readonly Telemetry.FlowMetrics? _metrics;
        private readonly byte[] _peek = new byte[64 * 1024];
        // Per socket id: the states seen by the state-change callbacks (midstat keeps them per connection).
        private byte[] _client = new byte[1024];
        private byte[] _server = new byte[1024];
        private readonly Dictionary<int, long> _final = [];
        private long _newData;
        private long _peeked;

        public Shard(FlowStatisticsOptions options)
        {
            _ctx = new MonitorContext(new MonitorContextOptions
            {
                Forward = false,
                VerifyChecksums = options.Checksums,
                TcpTimeoutSeconds = options.TcpTimeoutSeconds,
                AdoptMidstream = options.AdoptMidstream,
            });
            _metrics = options.Metrics;
            _metrics?.Add(_ctx);
            MonitorSocket listener = _ctx.CreateStreamListener();
            if (!options.Buffers)
            {
                listener.DisableBuffer(Side.Client);
                listener.DisableBuffer(Side.Server);
            }
            listener.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Send, OnStart);
            listener.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Send, OnEnd);
            listener.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Send, OnStateChange);
            listener.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, OnStateChange);
            if (options.Buffers)
                listener.RegisterCallback(MonitorEvent.ConnectionNewData, HookPoint.Null, OnNewData);
        }

        /// <summary>
        /// A frame of this shard's, <paramref name="clock"/> being the latest capture time of the frames before it in
        /// the input (long.MinValue for none), whichever shard took them: the clock catches up first, so that timers
        /// fire, and frames behind the clock are stamped, as in one context over the whole input. Without this, a
        /// capture whose times go back (a clock step, a merge, corruption) would time out flows in one context that
        /// a shard keeps open.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ProcessDecoded(ref PacketContext decoded, long us, long clock)
        {
            _ctx.CatchUpClock(clock);
            _ctx.ProcessDecodedFrame(ref decoded, us);
        }

        public void Finish(long last) => _ctx.Finish(last);

        /// <summary>Moves the clock to <paramref name="clock"/> (long.MinValue: nothing), as a frame stamped then would.</summary>
        public void CatchUp(long clock) => _ctx.CatchUpClock(clock);

        /// <summary>
        /// Every frame of <paramref name="source"/>, then the end of input at its latest capture time. Live, the clock
        /// follows the wall clock while the link is quiet (<see cref="MonitorContext.Run"/>), so that connections idle
        /// past the TCP timeout end when it expires, as on mOS's live core, not when the next frame comes or never.
        /// </summary>
        public void Run(PacketSource source, CancellationToken ct)
        {
            if (source.IsLive)
            {
                long latest = _ctx.Run(new CaptureFrameSource(source), ct); // not disposed: the caller owns the capture
                ct.ThrowIfCancellationRequested();
                _ctx.Finish(Math.Max(latest, 0));
                return;
            }
            long last = 0;
            int n = 0;
            while (source.TryReadNext(out Packet p))
            {
                long us = p.TimestampNanoseconds / 1000;
                _ctx.ProcessPacket(p.Data, (int)p.LinkType, us, p.OriginalLength, p.Flags);
                if (us > last)
                    last = us;
                if ((++n & 0xFFFF) == 0)
                    ct.ThrowIfCancellationRequested();
            }
            _ctx.Finish(last);
        }

        private void EnsureId(int id)
        {
            if (id >= _client.Length)
            {
                int size = Math.Max(id + 1, _client.Length * 2);
                Array.Resize(ref _client, size);
                Array.Resize(ref _server, size);
            }
        }

        private void OnStart(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev)
        {
            EnsureId(s.Id);
            _client[s.Id] = (byte)TcpState.SynSent;
            _server[s.Id] = (byte)TcpState.Listen;
        }

        private void OnStateChange(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev)
        {
            if (!ctx.HasCurrentPacket)
                return; // the teardown's state change: keep the state the flow ended in
            if (s.TryGetState(side, out TcpState st) != MonitorError.None)
                return;
            EnsureId(s.Id);
            if (side == Side.Client)
                _client[s.Id] = (byte)st;
            else
                _server[s.Id] = (byte)st;
        }

        private void OnEnd(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev)
        {
            if (side != Side.Client)
                return; // once per connection (midstat's second CONN_END finds nothing)
            EnsureId(s.Id);
            int key = _client[s.Id] << 8 | _server[s.Id];
            _final[key] = _final.GetValueOrDefault(key) + 1;
        }

        private void OnNewData(MonitorContext ctx, MonitorSocket s, Side side, MonitorEvent ev)
        {
            _newData++;
            s.TryGetBufferInfo(side, out _);
            int r = s.Peek(side, _peek);
            if (r > 0)
                _peeked += r;
        }

        public void AddTo(FlowStatisticsResult r)
        {
            MonitorStatistics st = _ctx.Statistics;
            r.AddShard(st.Packets);
            r.Packets += st.Packets;
            r.TcpPackets += st.TcpPackets;
            r.Flows += st.Flows;
            r.Orphans += st.Orphans;
            r.Retransmissions += st.Retransmissions;
            r.Errors += st.Errors;
            r.Malformed += st.Malformed;
            r.ChecksumErrors += st.ChecksumErrors;
            r.NewDataEvents += _newData;
            r.PeekedBytes += _peeked;
            foreach ((int key, long count) in _final)
            {
                string name = $"{Applications.Trace.ReferenceTracer.StateName((TcpState)(key >> 8))}/{Applications.Trace.ReferenceTracer.StateName((TcpState)(key & 255))}";
                r.FinalStates[name] = r.FinalStates.GetValueOrDefault(name) + count;
            }
            foreach ((TcpState c, TcpState s) in _ctx.OpenFlowStates())
            {
                string name = $"open:{Applications.Trace.ReferenceTracer.StateName(c)}/{Applications.Trace.ReferenceTracer.StateName(s)}";
                r.FinalStates[name] = r.FinalStates.GetValueOrDefault(name) + 1;
            }
        }
    }
}
