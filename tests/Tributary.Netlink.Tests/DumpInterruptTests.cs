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
        var churn = Task.Run(() =>
        {
            var cmds = new List<string>();
            for (int i = 0; i < 30000; i++)
                cmds.Add(i % 2 == 0 ? $"addr add 10.200.{i / 500 % 250}.{i % 250 + 1}/32 dev b{i % 64}" : $"addr del 10.200.{(i - 1) / 500 % 250}.{(i - 1) % 250 + 1}/32 dev b{(i - 1) % 64}");
            ns.IpBatch(cmds, force: true);
        });
        int restarts = 0;
        var sw = Stopwatch.StartNew();
        while (!churn.IsCompleted && sw.Elapsed < TimeSpan.FromSeconds(60) && (s.DumpRetries == 0 || restarts == 0))
        {
            int seen = 0;
            s.Dump(Request(), (in NetlinkMessage m) => seen++, () => { restarts++; seen = 0; });
            Assert.True(seen >= 4000);
            s.Dump(Request(), (in NetlinkMessage m) => seen++);
        }
        churn.Wait();
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
