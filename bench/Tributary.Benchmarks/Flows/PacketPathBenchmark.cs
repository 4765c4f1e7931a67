using BenchmarkDotNet.Attributes;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows;
using Tributary.Flows.Internal;
using Tributary.Testing;

namespace Tributary.Benchmarks.Flows;

/// <summary>
/// The flow stack's per-packet path on the real seed capture (corpus/gen__seed.pcap, 26,771 frames, 1,054 flows;
/// the big benchmark capture is 100 address-remapped copies of it), frames preloaded in memory so that reading
/// the file is not measured. Reported per packet (OperationsPerInvoke). Whole-process runs against the C peers:
/// bench/flows-bench.sh.
/// </summary>
[MemoryDiagnoser]
public class PacketPathBenchmark
{
    private byte[] _data = [];
    private (int Offset, int Length, long Us, int Wire, int LinkType)[] _frames = [];
    private long _span;
    private long _round;
    private readonly byte[] _peek = new byte[64 * 1024];

    [GlobalSetup]
    public void Setup()
    {
        string path = SharedPaths.RequireShared("corpus", "gen__seed.pcap");
        var data = new List<byte>();
        var frames = new List<(int, int, long, int, int)>();
        using PacketSource source = CaptureFile.Open(path);
        while (source.TryReadNext(out Packet p))
        {
            frames.Add((data.Count, p.Data.Length, p.TimestampNanoseconds / 1000, p.OriginalLength, (int)p.LinkType));
            data.AddRange(p.Data.ToArray());
        }
        _data = [.. data];
        _frames = [.. frames];
        _span = _frames[^1].Item3 - _frames[0].Item3 + 60_000_000; // next round starts after every flow timed out
    }

    private int Frames => 26771;

    /// <summary>Link/IP/TCP header decoding only.</summary>
    [Benchmark(OperationsPerInvoke = 26771)]
    public unsafe int Decode()
    {
        int tcp = 0;
        var p = new PacketContext();
        fixed (byte* d = _data)
        {
            foreach (var f in _frames)
            {
                p.Frame = d + f.Offset;
                p.FrameLength = f.Length;
                p.LinkType = f.LinkType;
                FrameDecoder.Decode(ref p);
                tcp += p.Status == DecodeStatus.Tcp ? 1 : 0;
            }
        }
        return tcp;
    }

    /// <summary>The flows-stats workload with receive buffers off: state tracking of both sides and the midstat callbacks.</summary>
    [Benchmark(OperationsPerInvoke = 26771)]
    public long StateTracking() => Run(buffers: false, checksums: false);

    /// <summary>Full reassembly into both sides' buffers, one peek per new data, checksums verified.</summary>
    [Benchmark(OperationsPerInvoke = 26771)]
    public long ReassemblyWithChecksums() => Run(buffers: true, checksums: true);

    private long Run(bool buffers, bool checksums)
    {
        var ctx = new MonitorContext(new MonitorContextOptions { Forward = false, VerifyChecksums = checksums });
        MonitorSocket l = ctx.CreateStreamListener();
        long states = 0, peeked = 0;
        if (!buffers)
        {
            l.DisableBuffer(Side.Client);
            l.DisableBuffer(Side.Server);
        }
        l.RegisterCallback(MonitorEvent.ConnectionStart, HookPoint.Send, (c, s, d, e) => states++);
        l.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Send, (c, s, d, e) => states++);
        MonitorCallback change = (c, s, d, e) =>
        {
            if (c.HasCurrentPacket && s.TryGetState(d, out TcpState st) == MonitorError.None)
                states += (int)st;
        };
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Send, change);
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, change);
        if (buffers)
            l.RegisterCallback(MonitorEvent.ConnectionNewData, HookPoint.Null, (c, s, d, e) => peeked += s.Peek(d, _peek));
        long shift = _round++ * _span;
        ReadOnlySpan<byte> data = _data;
        foreach (var f in _frames)
            ctx.ProcessPacket(data.Slice(f.Offset, f.Length), f.LinkType, f.Us + shift, f.Wire);
        return states + peeked;
    }
}

/// <summary>
/// Memory per tracked flow (issue target: no more than mOS's ~1.1 KB without payload buffers): 100,000 concurrent
/// connections opened by a SYN and a SYN/ACK each (both sides exist), none closed. "Allocated" per operation is the
/// managed memory per flow: flow record, flow socket, flow-table slots, including the arrays' growth.
/// </summary>
[MemoryDiagnoser]
public class FlowMemoryBenchmark
{
    private const int Flows = 100_000;
    private byte[][] _frames = [];

    [GlobalSetup]
    public void Setup()
    {
        _frames = new byte[Flows * 2][];
        for (int i = 0; i < Flows; i++)
        {
            byte[] syn = Frame(0x0A000001u + (uint)(i >> 16), 0x0A800001, (ushort)(1024 + (i & 0xFFFF)), 80, 1000, 0, 0x02);
            byte[] synAck = Frame(0x0A800001, 0x0A000001u + (uint)(i >> 16), 80, (ushort)(1024 + (i & 0xFFFF)), 5000, 1001, 0x12);
            _frames[2 * i] = syn;
            _frames[2 * i + 1] = synAck;
        }
    }

    [Benchmark(OperationsPerInvoke = Flows)]
    public int ConcurrentFlows()
    {
        var ctx = new MonitorContext(new MonitorContextOptions { Forward = false, VerifyChecksums = false });
        MonitorSocket l = ctx.CreateStreamListener();
        l.DisableBuffer(Side.Client);
        l.DisableBuffer(Side.Server);
        l.RegisterCallback(MonitorEvent.TcpStateChange, HookPoint.Receive, static (c, s, d, e) => { });
        long t = 1_000_000;
        foreach (byte[] f in _frames)
            ctx.ProcessPacket(f, 1, t++);
        return ctx.ActiveFlows;
    }

    internal static byte[] Frame(uint src, uint dst, ushort sport, ushort dport, uint seq, uint ack, byte flags)
    {
        var f = new byte[54];
        f[12] = 0x08;
        f[14] = 0x45;
        f[17] = 40;
        f[22] = 64;
        f[23] = 6;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(26), src);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(30), dst);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34), sport);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(36), dport);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(38), seq);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(42), ack);
        f[46] = 0x50;
        f[47] = flags;
        f[48] = 0xFF;
        f[49] = 0xFF;
        return f;
    }
}
