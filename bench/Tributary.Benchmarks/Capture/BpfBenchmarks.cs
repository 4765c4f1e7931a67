using BenchmarkDotNet.Attributes;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Filters;
using Tributary.Testing;

namespace Tributary.Benchmarks.Capture;

/// <summary>One classic BPF program (tcpdump "tcp and (port 80 or port 5201)") run per packet: compiled to IL vs the reference interpreter.</summary>
public class BpfBenchmarks
{
    private readonly List<byte[]> _packets = [];
    private BpfProgram _program = null!;

    [GlobalSetup]
    public void Setup()
    {
        using PacketSource s = CaptureFile.Open(SharedPaths.RequireShared("corpus", "gen__seed.pcap"));
        while (s.TryReadNext(out Packet p) && _packets.Count < 4096)
            _packets.Add(p.Data.ToArray());
        _program = BpfProgram.Compile("tcp and (port 80 or port 5201)", LinkType.Ethernet);
    }

    [Benchmark(OperationsPerInvoke = 4096, Baseline = true)]
    public long CompiledIL()
    {
        long n = 0;
        foreach (byte[] p in _packets)
            n += _program.Run(p, p.Length) != 0 ? 1 : 0;
        return n;
    }

    [Benchmark(OperationsPerInvoke = 4096)]
    public long Interpreted()
    {
        long n = 0;
        foreach (byte[] p in _packets)
            n += _program.Interpret(p, p.Length) != 0 ? 1 : 0;
        return n;
    }
}
