using BenchmarkDotNet.Attributes;
using Tributary.Links;
using Tributary.Testing;

namespace Tributary.Benchmarks.Links;

/// <summary>
/// The network monitor's initial dump: 2,000 links (bridges; there is no dummy driver) with 4 IPv4
/// addresses each, in a namespace made for the run. Measures <see cref="NetworkMonitor.Start"/>
/// (RTM_GETLINK dump read to the end, then RTM_GETADDR dump, state built) on a warm process, plus
/// opening and closing the monitor. Target (issue 2): ≤ 10 ms median. Needs root.
/// </summary>
[MemoryDiagnoser]
public class InitialDumpBenchmark
{
    private TestNetworkNamespace? _ns;

    [Params(2000)]
    public int Links { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ns = TestNetworkNamespace.Create("bench");
        // Exactly 4 addresses per link: no IPv6 link-local address generated on the bridges.
        _ns.Sysctl("net.ipv6.conf.all.addr_gen_mode", "1");
        _ns.Sysctl("net.ipv6.conf.default.addr_gen_mode", "1");
        var batch = new List<string>();
        for (int i = 0; i < Links; i++)
        {
            batch.Add($"link add name b{i} type bridge");
            batch.Add($"link set b{i} up");
            for (int a = 0; a < 4; a++)
                batch.Add($"addr add 10.{i / 250}.{i % 250}.{a + 1}/32 dev b{i}");
        }
        _ns.IpBatch(batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _ns?.Dispose();

    [Benchmark]
    public int CreateStartDispose()
    {
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.None, new NetworkMonitorOptions { NetworkNamespace = _ns!.Name });
        m.Start();
        int n = 0;
        m.ForEachInterface((i, _) => n += i.Addresses.Count);
        return n;
    }
}
