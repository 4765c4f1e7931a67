using BenchmarkDotNet.Attributes;
using Tributary.Capture;
using Tributary.Capture.Decoding;
using Tributary.Capture.Files;
using Tributary.Capture.Filters;
using Tributary.Testing;

namespace Tributary.Benchmarks.Capture;

/// <summary>
/// Per-packet cost of the packet layer on gen__seed.pcap (the seed of the big capture: 26,771 packets,
/// 17 MB, Ethernet, IPv4 + IPv6 TCP), page cache warm: reading (mapped and buffered), reading +
/// decoding, the whole <c>capture stats</c> loop, and a tcpdump filter run as IL. Results are per
/// packet (OperationsPerInvoke); the whole-process comparison with the C peers is bench/capture-bench.sh.
/// </summary>
[MemoryDiagnoser]
public class ReadDecodeBenchmarks
{
    private const int Packets = 26771;
    private string _path = "";
    private PacketFilter? _filter;

    [GlobalSetup]
    public void Setup()
    {
        _path = SharedPaths.RequireShared("corpus", "gen__seed.pcap");
        _filter = PacketFilter.Compile("tcp and (port 80 or port 5201)", LinkType.Ethernet);
        File.ReadAllBytes(_path);   // page cache warm
    }

    [Benchmark(OperationsPerInvoke = Packets, Baseline = true)]
    public long ReadMapped()
    {
        using CaptureFileReader r = CaptureFile.Open(_path, new CaptureFileOptions { MemoryMap = true });
        long sum = 0;
        while (r.TryReadNext(out Packet p))
            sum += p.Data[12];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReadBuffered()
    {
        using CaptureFileReader r = CaptureFile.Open(_path);
        long sum = 0;
        while (r.TryReadNext(out Packet p))
            sum += p.Data[12];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReadDecode()
    {
        using CaptureFileReader r = CaptureFile.Open(_path, new CaptureFileOptions { MemoryMap = true });
        long sum = 0;
        while (r.TryReadNext(out Packet p))
        {
            PacketDecoder.Decode(p, out DecodedPacket d);
            sum += d.SourcePort + d.Sequence + d.PayloadLength + d.Source.GetHashCode();
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long Statistics()
    {
        using CaptureFileReader r = CaptureFile.Open(_path, new CaptureFileOptions { MemoryMap = true });
        return CaptureStatistics.Collect(r).Tcp;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReadDecodeFilter()
    {
        using CaptureFileReader r = CaptureFile.Open(_path, new CaptureFileOptions { MemoryMap = true });
        long matched = 0;
        while (r.TryReadNext(out Packet p))
        {
            if (_filter!.Matches(p))
                matched++;
        }
        return matched;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReadDecodeOptionsChecksums()
    {
        using CaptureFileReader r = CaptureFile.Open(_path, new CaptureFileOptions { MemoryMap = true });
        long sum = 0;
        while (r.TryReadNext(out Packet p))
        {
            PacketDecoder.Decode(p, out DecodedPacket d);
            if (!d.IsTcp)
                continue;
            TcpOptionSummary o = TcpOptionSummary.Parse(d.TcpOptions);
            sum += o.TimestampValue + (Checksums.VerifyTransport(d) == ChecksumResult.Good ? 1 : 0);
        }
        return sum;
    }
}
