using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tributary.Mptcp;
using Tributary.Netlink;
using Tributary.Testing;

namespace Tributary.Benchmarks.Mptcp;

/// <summary>
/// Whole-process measurements of an mptcpd-compatible daemon (tributary mptcpd or Debian's mptcpd 0.12)
/// in a namespace of its own, run by bench/mptcpd-compare.sh:
/// <list type="bullet">
/// <item><c>latency</c>: an address is added over rtnetlink (clock starts at the kernel's ack) and the
/// in-kernel endpoint table is polled until addr_adv's endpoint is there; repeated, with the address
/// deleted (and its endpoint gone) between rounds.</item>
/// <item><c>startup</c>: time from exec until the endpoint of an existing address is in the kernel
/// (<c>--notify-flags=existing</c>), and the daemon's resident memory then and after a 10,000-change burst.</item>
/// </list>
/// Usage: <c>dotnet run -c Release --project bench/Tributary.Benchmarks -- mptcpd latency|startup ROUNDS COMMAND...</c>
/// where COMMAND is the daemon's command line (without the options, which are added here).
/// </summary>
internal static class DaemonComparison
{
    private const ushort RTM_NEWADDR = 20;
    private const ushort RTM_DELADDR = 21;

    private static readonly int GapMs = int.TryParse(Environment.GetEnvironmentVariable("BENCH_GAP_MS"), out int g) ? g : 50;

    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: mptcpd latency|startup ROUNDS COMMAND...");
            return 2;
        }
        string mode = args[0];
        int rounds = int.Parse(args[1], CultureInfo.InvariantCulture);
        string[] command = args[2..];
        return mode switch
        {
            "latency" => Latency(rounds, command),
            "startup" => Startup(rounds, command),
            _ => 2,
        };
    }

    private static TestNetworkNamespace Lab(out int ifIndex)
    {
        var ns = TestNetworkNamespace.Create("bench");
        ns.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
        ns.Ip("link", "set", "v0", "up");
        ns.Ip("link", "set", "v1", "up");
        ifIndex = int.Parse(ns.Exec("cat", "/sys/class/net/v0/ifindex").StandardOutput.Trim(), CultureInfo.InvariantCulture);
        return ns;
    }

    private static Process Start(TestNetworkNamespace ns, string[] command, string notifyFlags)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "netns", "exec", ns.Name }.Concat(command)
            .Concat(["--load-plugins=addr_adv", "--addr-flags=subflow", $"--notify-flags={notifyFlags}", "--log=null"]))
            psi.ArgumentList.Add(a);
        Process p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            using (Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
            {
            }
            if (!p.WaitForExit(5000))
                p.Kill();
        }
        p.WaitForExit();
        p.Dispose();
    }

    private static bool HasEndpoint(MptcpPmClient pm, IPAddress a)
    {
        foreach (MptcpEndpoint e in pm.DumpEndpoints())
        {
            if (e.Address.Equals(a))
                return true;
        }
        return false;
    }

    private static void Address(NetlinkSocket rt, ushort type, int ifIndex, IPAddress a)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(type, (NetlinkMessageFlags)(type == RTM_NEWADDR ? 0x600 : 0)); // NLM_F_CREATE | NLM_F_EXCL
        Span<byte> ifa = w.Reserve(8); // struct ifaddrmsg
        ifa[0] = 2;                    // AF_INET
        ifa[1] = 32;                   // prefix length
        BinaryPrimitives.WriteInt32LittleEndian(ifa[4..], ifIndex);
        Span<byte> bytes = stackalloc byte[4];
        a.TryWriteBytes(bytes, out _);
        w.PutBytes(2, bytes); // IFA_LOCAL
        w.PutBytes(1, bytes); // IFA_ADDRESS
        rt.Execute(w.Finish(), null, type == RTM_NEWADDR ? "add address" : "delete address");
    }

    private static long VmRssKiB(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        return -1;
    }

    private static void WaitFor(Func<bool> condition, int timeoutMs, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs)
                throw new TimeoutException(what);
            Thread.Yield();
        }
    }

    private static int Latency(int rounds, string[] command)
    {
        using TestNetworkNamespace ns = Lab(out int ifIndex);
        using var pm = MptcpPmClient.Open(ns.Name);
        using var rt = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        Process daemon = Start(ns, command, "skip_link_local");
        try
        {
            // addr_adv sets add_addr_accepted = subflows = 2 at start with the subflow flag (both daemons).
            WaitFor(() => pm.GetLimits().AddAddrAccepted == 2, 20_000, "the daemon to start");
            Thread.Sleep(500);
            var samples = new List<double>(rounds);
            for (int r = 0; r < rounds + 5; r++)
            {
                var a = IPAddress.Parse($"192.0.2.{(r % 200) + 10}");
                Address(rt, RTM_NEWADDR, ifIndex, a);
                long t0 = Stopwatch.GetTimestamp();
                WaitFor(() => HasEndpoint(pm, a), 5_000, $"the endpoint of {a}");
                double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                if (r >= 5)
                    samples.Add(us); // the first rounds warm up both sides
                Address(rt, RTM_DELADDR, ifIndex, a);
                WaitFor(() => !HasEndpoint(pm, a), 5_000, $"the removal of {a}'s endpoint");
                // DEL_ADDR returns only after an RCU grace period, well after the endpoint left the table:
                // give the daemon that time, so that each round measures an idle daemon.
                Thread.Sleep(GapMs);
            }
            samples.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"latency_us rounds={samples.Count} median={Pct(samples, 50):0} p90={Pct(samples, 90):0} p99={Pct(samples, 99):0} max={samples[^1]:0} mean={samples.Average():0}"));
            return 0;
        }
        finally
        {
            Stop(daemon);
        }
    }

    private static int Startup(int rounds, string[] command)
    {
        var startMs = new List<double>();
        var rss = new List<long>();
        var rssBurst = new List<long>();
        for (int r = 0; r < rounds; r++)
        {
            using TestNetworkNamespace ns = Lab(out int ifIndex);
            ns.Ip("addr", "add", "192.0.2.1/24", "dev", "v0");
            using var pm = MptcpPmClient.Open(ns.Name);
            var a = IPAddress.Parse("192.0.2.1");
            long t0 = Stopwatch.GetTimestamp();
            Process daemon = Start(ns, command, "existing,skip_link_local");
            try
            {
                WaitFor(() => HasEndpoint(pm, a), 30_000, "the endpoint of an existing address");
                startMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                Thread.Sleep(1000);
                rss.Add(VmRssKiB(daemon.Id));
                if (r == 0)
                {
                    var batch = new List<string>();
                    for (int i = 0; i < 5000; i++)
                    {
                        batch.Add($"addr add 10.40.{i / 250}.{(i % 250) + 1}/32 dev v0");
                        batch.Add($"addr del 10.40.{i / 250}.{(i % 250) + 1}/32 dev v0");
                    }
                    ns.IpBatch(batch);
                    Thread.Sleep(3000);
                    rssBurst.Add(VmRssKiB(daemon.Id));
                }
            }
            finally
            {
                Stop(daemon);
            }
        }
        startMs.Sort();
        rss.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"startup_ms runs={startMs.Count} median={Pct(startMs, 50):0.0} min={startMs[0]:0.0} max={startMs[^1]:0.0} rss_kib median={rss[rss.Count / 2]} after_burst={rssBurst.FirstOrDefault()}"));
        return 0;
    }

    private static double Pct(List<double> sorted, int p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
}
