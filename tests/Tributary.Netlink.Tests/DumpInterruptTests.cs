using System.Diagnostics;
using Tributary.Netlink;

namespace Tributary.Netlink.Tests;

/// <summary>
/// NLM_F_DUMP_INTR: address dumps taken while another process churns addresses are interrupted by
/// the kernel; both Dump flavours must redo them (the streaming one after telling the consumer to
/// forget what it saw).
/// </summary>
public class DumpInterruptTests
{
    [KernelFact]
    public void Interrupted_dumps_are_redone()
    {
        using var ns = TestNetworkNamespace.Create("intr");
        ns.IpBatch(Enumerable.Range(0, 64).SelectMany(i => new[] { $"link add b{i} type bridge", $"link set b{i} up" })
            .Concat(Enumerable.Range(0, 4000).Select(i => $"addr add 10.{i % 64}.{i / 250}.{i % 250 + 1}/32 dev b{i % 64}")));
        using var s = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        // Churn in bursts of 500 changes with short pauses: dumps taken during a burst are interrupted, and the
        // pauses let a redone dump complete (a continuous storm can interrupt every attempt on a loaded machine).
        using var done = new CancellationTokenSource();
        var churn = Task.Run(() =>
        {
            for (int burst = 0; !done.IsCancellationRequested && burst < 200; burst++)
            {
                var cmds = new List<string>();
                for (int i = 0; i < 500; i++)
                {
                    int a = burst * 250 + i / 2;
                    string addr = $"10.200.{a / 250 % 250}.{a % 250 + 1}/32 dev b{a % 64}";
                    cmds.Add(i % 2 == 0 ? $"addr add {addr}" : $"addr del {addr}");
                }
                ns.IpBatch(cmds, force: true);
                Thread.Sleep(20);
            }
        });
        int restarts = 0;
        var sw = Stopwatch.StartNew();
        try
        {
            // DumpRetries counts the retries of both flavours: go on until each has had one.
            while (!churn.IsCompleted && sw.Elapsed < TimeSpan.FromSeconds(60) && (restarts == 0 || s.DumpRetries == restarts))
            {
                int seen = 0;
                s.Dump(Request(), (in NetlinkMessage m) => seen++, () => { restarts++; seen = 0; });
                Assert.True(seen >= 4000);
                s.Dump(Request(), (in NetlinkMessage m) => seen++);
            }
        }
        finally
        {
            done.Cancel();
            churn.Wait();
        }
        Assert.True(restarts > 0, "no streamed dump was interrupted during the churn");
        Assert.True(s.DumpRetries > restarts, "no staged dump was interrupted during the churn");
    }

    private static byte[] Request()
    {
        byte[] buf = new byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(22, NetlinkMessageFlags.None); // RTM_GETADDR
        w.Reserve(8);                                 // ifaddrmsg, AF_UNSPEC
        return w.Finish().ToArray();
    }
}
