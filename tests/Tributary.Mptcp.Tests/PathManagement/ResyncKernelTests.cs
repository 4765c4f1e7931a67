using System.Net;
using System.Net.Sockets;
using Tributary.Mptcp.Tests.Lab;

namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>
/// Issue 3 against the real kernel: the path manager's event socket overflows while connections
/// open, close and change subflows (its event thread parked, a small receive buffer), and the
/// plugin's view must afterwards be the kernel's, with no duplicate or contradictory callback.
/// </summary>
public class ResyncKernelTests
{
    private sealed class ViewPlugin(string name, ConnectionView view) : MptcpPlugin
    {
        public override string Name => name;

        public override bool Initialize(PathManager pathManager) => pathManager.RegisterOps(name, view);
    }

    private static uint Token(Socket s) => MptcpSocket.GetInfo(s)?.Token ?? throw new InvalidOperationException("not an MPTCP connection");

    [KernelFact]
    public async Task After_an_overflow_the_plugin_view_equals_the_kernels_connections()
    {
        using var lab = new MptcpLab();
        lab.Client.Sysctl("net.mptcp.pm_type", "1"); // userspace PM: the test alone opens and closes subflows
        lab.StartServer(5201);
        var view = new ConnectionView();
        var log = new ListLogger();
        using PathManager pm = PathManager.Create(new PathManagerOptions
        {
            NetworkNamespace = lab.Client.Name,
            BuiltInPlugins = [() => new ViewPlugin("view", view)],
            PluginDirectory = AddrAdvLabTests.EmptyPluginDirectory(),
            EventReceiveBufferSize = 32 * 1024, // a few events: the flood below overflows it
            Logger = log,
        });
        pm.Start();
        using var pmc = MptcpPmClient.Open(lab.Client.Name);
        var open = new Dictionary<uint, Socket>();
        var joins = new Dictionary<uint, int>();
        try
        {
            async Task<uint> Connect()
            {
                Socket s = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
                await s.SendAsync(new byte[1]); // the server's data ack completes the MPTCP handshake
                uint t = Token(s);
                open[t] = s;
                joins[t] = 0;
                return t;
            }
            void Join(uint t)
            {
                pmc.CreateSubflow(t, new MptcpAddress(MptcpLab.C2), 2, new MptcpAddress(MptcpLab.S2, 5201));
                joins[t]++;
            }
            void Close(uint t)
            {
                open.Remove(t, out Socket? s);
                joins.Remove(t);
                s!.Dispose();
            }

            // Known before the overflow: A (to be closed unseen) and B with a join (to be destroyed unseen).
            uint a = await Connect(), b = await Connect();
            Join(b);
            TaskTimeouts.WaitUntil(() => view.Connections.TryGetValue(b, out var e) && e.Joined.Count == 1
                && view.Connections.Values.All(c => c.Established) && view.Connections.Count == 2, TimeSpan.FromSeconds(15), "A and B with B's join, live");
            (MptcpAddress Local, MptcpAddress Remote) bJoin = view.Connections[b].Joined.Single();
            Assert.Equal(0, pm.Resyncs);

            Assert.True(pm.PauseEventLoop(TimeSpan.FromSeconds(5)), "the event thread did not park");
            var flood = new List<uint>();
            for (int i = 0; i < 40; i++)
                flood.Add(await Connect());
            for (int i = 0; i < 6; i++)
                Join(flood[i]);
            for (int i = 30; i < 40; i++)
                Close(flood[i]); // opened and closed while nobody listened
            Close(a);
            pmc.DestroySubflow(b, bJoin.Local, bJoin.Remote);
            joins[b]--;
            // Let the kernel finish: every open connection fully established with its joins (ss-style check through sock_diag).
            using (var diag = MptcpDiagClient.Open(lab.Client.Name))
            {
                TaskTimeouts.WaitUntil(() =>
                {
                    List<KernelConnection> k = ConnectionResync.FromDiag(diag.DumpConnections(), diag.DumpSubflows());
                    return k.Count == open.Count && k.All(c => c.Established && open.ContainsKey(c.Token) && c.Subflows.Count == 1 + joins[c.Token]);
                }, TimeSpan.FromSeconds(20), "the kernel's connections to settle");
            }
            Assert.Equal(2, view.Connections.Count); // nothing was read meanwhile
            pm.ResumeEventLoop();

            TaskTimeouts.WaitUntil(() => pm.Resyncs >= 1, TimeSpan.FromSeconds(15), "a resync");
            TaskTimeouts.WaitUntil(() => ViewMatches(view, open, joins), TimeSpan.FromSeconds(15),
                $"the plugin's view to equal the kernel's connections\n{Describe(view, open, joins)}\n{log}");
            Assert.Empty(view.Violations);
            // The summary line is logged after the resync's events are dispatched: the view can match a moment before.
            TaskTimeouts.WaitUntil(() => log.Lines.Any(l => l.StartsWith("Information: MPTCP connections re-read", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(15), $"the resync's summary line\n{log}");
            string resyncLine = log.Lines.Single(l => l.StartsWith("Information: MPTCP connections re-read", StringComparison.Ordinal));
            Assert.True(resyncLine.StartsWith("Information: MPTCP connections re-read from the kernel after lost events: 31 open; 1 closed, 30 new, 30 established, 6 subflows established, 1 subflows closed, 0 unchanged", StringComparison.Ordinal), resyncLine);
            Assert.DoesNotContain(view.Calls, c => c.Contains(flood[35].ToString("x8"), StringComparison.Ordinal)); // never seen: nothing to say
            Assert.Single(view.Calls, c => c == $"connection_closed {a:x8}");
            Assert.Single(view.Calls, c => c.StartsWith($"subflow_closed {b:x8}", StringComparison.Ordinal));

            // Still listening afterwards: live events arrive as before.
            Join(flood[10]);
            Close(b);
            TaskTimeouts.WaitUntil(() => ViewMatches(view, open, joins), TimeSpan.FromSeconds(15), "live events after the resync");
            Assert.Empty(view.Violations);
        }
        finally
        {
            foreach (Socket s in open.Values)
                s.Dispose();
        }
    }

    private static bool ViewMatches(ConnectionView view, Dictionary<uint, Socket> open, Dictionary<uint, int> joins)
    {
        IReadOnlyDictionary<uint, ConnectionView.Entry> v = view.Connections;
        return v.Count == open.Count && v.All(kv => open.ContainsKey(kv.Key) && kv.Value.Established && kv.Value.Joined.Count == joins[kv.Key]);
    }

    private static string Describe(ConnectionView view, Dictionary<uint, Socket> open, Dictionary<uint, int> joins) =>
        "view: " + string.Join(", ", view.Connections.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key:x8}{(kv.Value.Established ? "" : " not-established")}+{kv.Value.Joined.Count}"))
        + "\nkernel: " + string.Join(", ", open.Keys.Order().Select(t => $"{t:x8}+{joins[t]}"))
        + "\nviolations: " + string.Join("; ", view.Violations);
}
