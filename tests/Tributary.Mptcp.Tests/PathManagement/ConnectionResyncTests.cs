using System.Net;

namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>
/// Re-learning connections after lost events, on synthetic data: which dumped sockets count as
/// announced connections, the diff against what plugins were told, and the dispatch that applies it
/// and drops the stale events queued behind it.
/// </summary>
public class ConnectionResyncTests
{
    private static MptcpAddress A(string ip, ushort port) => new(IPAddress.Parse(ip), port);

    private static readonly MptcpAddress L1 = A("10.11.1.1", 40001), R1 = A("10.11.1.2", 5201);
    private static readonly MptcpAddress L2 = A("10.11.2.1", 40002), R2 = A("10.11.2.2", 5201);
    private static readonly MptcpAddress L3 = A("10.11.2.1", 40003);

    private static KernelSubflow Sf(MptcpAddress l, MptcpAddress r, bool initial = false, byte localId = 0) =>
        new(l, r, localId, 0, false, 0, initial);

    private static KernelConnection K(uint token, MptcpAddress l, MptcpAddress r, bool established, params KernelSubflow[] joins) =>
        new(token, l, r, false, established, true, [Sf(l, r, initial: true), .. joins]);

    private static KnownConnection Known(uint token, MptcpAddress l, MptcpAddress r, bool established, params SubflowKey[] joins) =>
        new(token, l, r, established, [new SubflowKey(l, r), .. joins]);

    private static List<string> Text(IEnumerable<MptcpEventAttributes> events) =>
        events.Select(e => $"{e.Type} {e.Token:x}" + (e.Type is MptcpEventType.SubflowEstablished or MptcpEventType.SubflowClosed ? $" {e.Local}>{e.Remote}" : "")).ToList();

    [Fact]
    public void Plan_closes_vanished_then_updates_kept_then_adds_new_connections()
    {
        KnownConnection[] known =
        [
            Known(0x30, L1, R1, true, new SubflowKey(L2, R2)),  // loses its join, gains another
            Known(0x10, L1, R2, false),                          // became established
            Known(0x20, L2, R1, true),                           // vanished
            Known(0x40, L2, R2, true),                           // token now names another connection
            Known(0x50, L3, R1, true),                           // unchanged
        ];
        KernelConnection[] kernel =
        [
            K(0x60, L3, R2, true, Sf(L2, R2, localId: 2)),
            K(0x30, L1, R1, true, Sf(L3, R2)),
            K(0x10, L1, R2, true),
            K(0x40, L1, R1, false),
            K(0x50, L3, R1, true),
            new(0x70, L2, R1, true, Established: false, SubflowsTracked: true, []), // new, initial subflow already gone
        ];
        Assert.Equal(
        [
            "Closed 20",
            "Closed 40",
            "Established 10",
            $"SubflowClosed 30 {L2}>{R2}",
            $"SubflowEstablished 30 {L3}>{R2}",
            "Created 40",
            "Created 60",
            "Established 60",
            $"SubflowEstablished 60 {L2}>{R2}",
            "Created 70",
            $"SubflowClosed 70 {L2}>{R1}",
        ], Text(ConnectionResync.Plan(known, kernel)));
    }

    [Fact]
    public void Plan_is_empty_when_plugins_know_what_the_kernel_has()
    {
        Assert.Empty(ConnectionResync.Plan([Known(1, L1, R1, true, new SubflowKey(L3, R2))], [K(1, L1, R1, true, Sf(L3, R2))]));
        Assert.Empty(ConnectionResync.Plan([], []));
    }

    [Fact]
    public void Plan_leaves_subflows_alone_where_the_kernel_reports_no_subflow_changes()
    {
        // A connection that is closing (not ESTABLISHED): the kernel sends no SUB_CLOSED for its subflows.
        var closing = new KernelConnection(1, L1, R1, false, true, SubflowsTracked: false, []);
        Assert.Empty(ConnectionResync.Plan([Known(1, L1, R1, true, new SubflowKey(L3, R2))], [closing]));
        Assert.Equal(["Created 1", "Established 1"], Text(ConnectionResync.Plan([], [closing])));
    }

    [Fact]
    public void Plan_events_carry_what_plugins_are_called_with()
    {
        var k = new KernelConnection(7, L1, R1, ServerSide: true, true, true,
            [Sf(L1, R1, initial: true), new KernelSubflow(L3, R2, 3, 4, Backup: true, InterfaceIndex: 5, Initial: false)]);
        List<MptcpEventAttributes> plan = ConnectionResync.Plan([], [k]);
        Assert.All(plan, e => Assert.Equal(MptcpEventAttribute.None, e.MissingRequired));
        Assert.True(plan[0].ServerSide);
        Assert.Equal((L1, R1), (plan[0].Local, plan[0].Remote));
        MptcpEventAttributes sub = plan[2];
        Assert.Equal((L3, R2, (byte)3, (byte)4, true, 5), (sub.Local, sub.Remote, sub.LocalId, sub.RemoteId, sub.Backup, sub.InterfaceIndex));
        Assert.True(sub.Has(MptcpEventAttribute.InterfaceIndex));
    }

    private static MptcpInfo Info(uint token, bool remoteKey = true, bool fallback = false) =>
        new(0, 0, 0, 0, 0, 0, (remoteKey ? 2u : 0) | (fallback ? 1u : 0), token, 0, 0, 0);

    private static MptcpConnectionInfo Msk(uint token, MptcpAddress l, MptcpAddress r, byte state = 1, uint inode = 99, byte shutdown = 0, bool remoteKey = true) =>
        new(token, l, r, state, inode, shutdown, Info(token, remoteKey));

    private const MptcpSubflowFlags ClientInitial = MptcpSubflowFlags.MpCapableRemote | MptcpSubflowFlags.MpCapableLocal
        | MptcpSubflowFlags.FullyEstablished | MptcpSubflowFlags.Connected;

    [Fact]
    public void Dumped_sockets_count_once_announced_and_until_the_application_closes_them()
    {
        MptcpConnectionInfo[] sockets =
        [
            Msk(1, L1, R1),                                     // client, established
            Msk(2, L2, R2, state: 2, remoteKey: false),         // SYN_SENT: CREATED not sent yet
            Msk(3, L3, R1, state: 5, inode: 0, shutdown: 3),    // closed by the application (FIN_WAIT2): CLOSED sent
            Msk(4, A("10.11.1.2", 5201), A("10.11.1.1", 40009), inode: 0), // server side, not yet accepted
            Msk(5, L1, R2, state: 8, shutdown: 1),              // the peer closed; the application has not
            Msk(0, L2, R1),                                     // fallback at the handshake: no token
            Msk(1, L1, R1),                                     // the same socket in the other family's dump
            new(0, A("0.0.0.0", 5201), default, 10, 7, 0, null), // an MPTCP listener
        ];
        MptcpSubflowInfo[] subflows =
        [
            new(1, L1, R1, 1, 0, 0, ClientInitial, 0),
            new(1, L3, R2, 1, 2, 1, MptcpSubflowFlags.JoinRemote | MptcpSubflowFlags.JoinLocal | MptcpSubflowFlags.FullyEstablished, 4),
            new(1, A("10.11.2.1", 40100), R2, 4, 3, 1, MptcpSubflowFlags.JoinRemote, 0),  // FIN_WAIT1: already closed by MPTCP
            new(2, L2, R2, 2, 0, 0, MptcpSubflowFlags.MpCapableLocal, 0),
            new(4, A("10.11.1.2", 5201), A("10.11.1.1", 40009), 1, 0, 0, MptcpSubflowFlags.MpCapableRemote, 0), // server: no MCAP_LOC
        ];
        List<KernelConnection> k = ConnectionResync.FromDiag(sockets, subflows);
        Assert.Equal([1u, 4u, 5u], k.Select(c => c.Token));
        KernelConnection c1 = k[0];
        Assert.True(c1.Established);
        Assert.False(c1.ServerSide);
        Assert.True(c1.SubflowsTracked);
        Assert.Equal([(L1, R1, true), (L3, R2, false)], c1.Subflows.Select(s => (s.Local, s.Remote, s.Initial)));
        Assert.Equal((2, 1, 4), (c1.Subflows[1].LocalId, c1.Subflows[1].RemoteId, c1.Subflows[1].InterfaceIndex));
        Assert.True(k[1].ServerSide);
        Assert.False(k[1].Established); // its only subflow has not finished the MPTCP handshake
        // No subflow left: established from the peer's key; server side from the listener on its port? No: port 40002 is not 5201.
        Assert.True(k[2].Established);
        Assert.False(k[2].ServerSide);
        Assert.False(k[2].SubflowsTracked); // CLOSE_WAIT: the kernel no longer reports subflow changes
        var accepted = Msk(6, A("10.11.1.2", 5201), A("10.11.1.1", 40010));
        Assert.True(ConnectionResync.FromDiag([accepted, sockets[7]], []).Single().ServerSide);
    }

    // ---------------------------------------------------------------- applying a plan through the dispatch

    private sealed class ViewPlugin(string name, ConnectionView view) : MptcpPlugin
    {
        public override string Name => name;

        public override bool Initialize(PathManager pathManager) => pathManager.RegisterOps(name, view);
    }

    private static PathManager Detached(ConnectionView view)
    {
        var pm = new PathManager(new PathManagerOptions
        {
            PluginDirectory = PluginDirectory(),
            BuiltInPlugins = [() => new ViewPlugin("view", view)],
        }, client: null);
        Assert.True(pm.LoadPlugins());
        return pm;
    }

    private static string PluginDirectory() => Lab.AddrAdvLabTests.EmptyPluginDirectory();

    private static MptcpEventAttributes Live(MptcpEventType type, uint token, MptcpAddress l = default, MptcpAddress r = default) =>
        ConnectionResync.Plan([], [K(token, l.IsNone ? L1 : l, r.IsNone ? R1 : r, true)])[0] is var e
            ? e with { Type = type, Present = e.Present | MptcpEventAttribute.Backup }
            : default;

    [Fact]
    public void Stale_events_queued_behind_a_resync_are_dropped_and_later_ones_delivered()
    {
        var view = new ConnectionView();
        using PathManager pm = Detached(view);
        pm.Dispatch(Live(MptcpEventType.Created, 1));
        pm.Dispatch(Live(MptcpEventType.Created, 2, L2, R2));
        pm.Dispatch(Live(MptcpEventType.SubflowEstablished, 2, L3, R2));
        // Lost: CLOSED 1, CREATED 3, ESTABLISHED 2, SUB_CLOSED 2 (L3), SUB_ESTABLISHED 2 (L1>R2).
        foreach (MptcpEventAttributes e in ConnectionResync.Plan(
            [Known(1, L1, R1, false), Known(2, L2, R2, false, new SubflowKey(L3, R2))],
            [K(2, L2, R2, true, Sf(L1, R2)), K(3, L3, R1, true)]))
        {
            pm.Dispatch(e, fromResync: true);
        }
        // The same transitions, queued while the kernel was being dumped.
        pm.Dispatch(Live(MptcpEventType.Closed, 1));
        pm.Dispatch(Live(MptcpEventType.Created, 3, L3, R1));
        pm.Dispatch(Live(MptcpEventType.Established, 3, L3, R1));
        pm.Dispatch(Live(MptcpEventType.Established, 2, L2, R2));
        pm.Dispatch(Live(MptcpEventType.SubflowClosed, 2, L3, R2));
        pm.Dispatch(Live(MptcpEventType.SubflowEstablished, 2, L1, R2));
        Assert.Empty(view.Violations);
        Assert.Equal(5, pm.SuppressedEvents);
        Assert.Equal(1, pm.UnmatchedTokens); // CLOSED 1: not known any more
        Assert.Equal([2u, 3u], view.Connections.Keys.Order());
        Assert.True(view.Connections[2].Established);
        Assert.Equal([(L1, R2)], view.Connections[2].Joined);
        // Later changes get through.
        pm.Dispatch(Live(MptcpEventType.SubflowEstablished, 2, L3, R2));
        pm.Dispatch(Live(MptcpEventType.Closed, 2));
        Assert.Empty(view.Violations);
        Assert.Equal([3u], view.Connections.Keys);
    }

    [Fact]
    public void A_reused_token_closes_the_connection_whose_close_was_lost()
    {
        var view = new ConnectionView();
        using PathManager pm = Detached(view);
        pm.Dispatch(Live(MptcpEventType.Created, 9));
        pm.Dispatch(Live(MptcpEventType.Created, 9, L2, R2));
        Assert.Equal([$"new_connection 00000009 {L1} {R1}", "connection_closed 00000009", $"new_connection 00000009 {L2} {R2}"], view.Calls);
        Assert.Empty(view.Violations);
    }

    [Fact]
    public void A_failed_join_is_still_reported_closed()
    {
        var view = new ConnectionView { AllowUnknownSubflowClose = true };
        using PathManager pm = Detached(view);
        pm.Dispatch(Live(MptcpEventType.Created, 4));
        pm.Dispatch(Live(MptcpEventType.SubflowClosed, 4, L3, R2)); // a join that never established
        Assert.Contains($"subflow_closed 00000004 {L3} {R2}", view.Calls);
        Assert.Equal(0, pm.SuppressedEvents);
    }
}
