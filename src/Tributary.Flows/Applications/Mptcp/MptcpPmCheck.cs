using System.Globalization;
using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// Compares the MPTCP connections seen on the wire (<see cref="MptcpConnectionTracker"/>) with what the path manager of
/// one of their hosts reported (<see cref="MptcpKernelView"/>). They meet at the token: the kernel names a connection by
/// the token of its own key, which is the wire's client token when the host sent the MP_CAPABLE SYN and the server token
/// when it accepted it (RFC 8684 §3.2). For each connection found on both sides it compares the established subflows
/// by their ends, each subflow's backup bit and MP_PRIO (§3.3.8), the addresses the peer announced and removed
/// (§3.4), and that every local <c>signal</c> endpoint went out as ADD_ADDR and came back echoed (the kernel reports
/// announcements it receives, never its own). Only MPTCP connections and orphan joins are compared: the kernel reports
/// nothing for a connection that fell back during the handshake.
/// </summary>
public static class MptcpPmCheck
{
    public static MptcpPmCheckResult Compare(IReadOnlyList<MptcpConnection> wire, MptcpKernelView kernel)
    {
        ArgumentNullException.ThrowIfNull(wire);
        ArgumentNullException.ThrowIfNull(kernel);
        var byToken = new Dictionary<uint, List<MptcpConnection>>();
        foreach (MptcpConnection c in wire)
        {
            if (c.Kind is not (MptcpConnectionKind.Mptcp or MptcpConnectionKind.Orphan))
                continue;
            if (c.ClientToken is uint ct)
                Index(byToken, ct, c);
            if (c.ServerToken is uint st && st != c.ClientToken)
                Index(byToken, st, c);
        }

        var perWire = new Dictionary<MptcpConnection, List<MptcpPmFinding>>();
        var unmatched = new List<MptcpPmFinding>();
        foreach (MptcpKernelConnection k in kernel.Connections)
        {
            MptcpConnection? w = Match(k, byToken);
            if (w is null)
            {
                MptcpPeer? side = k.ServerSide is bool s ? (s ? MptcpPeer.Server : MptcpPeer.Client) : null;
                unmatched.Add(new MptcpPmFinding(k.Created ? MptcpPmFindingKind.KernelOnly : MptcpPmFindingKind.BeforeStart, null, k, side,
                    k.Local is { } l && k.Remote is { } r ? Ends(l, r) : "-", Summary(k), "-"));
                continue;
            }
            if (!perWire.TryGetValue(w, out List<MptcpPmFinding>? list))
                perWire[w] = list = [];
            CompareConnection(k, w, kernel, list);
        }

        var findings = new List<MptcpPmFinding>();
        foreach (MptcpConnection w in wire)
        {
            if (perWire.TryGetValue(w, out List<MptcpPmFinding>? list))
                findings.AddRange(list);
            else if (w.Kind == MptcpConnectionKind.Mptcp)
                findings.Add(Unreported(w, kernel));
        }
        findings.AddRange(unmatched);
        if (kernel.EventsLost > 0)
            findings.Add(new MptcpPmFinding(MptcpPmFindingKind.EventsLost, null, null, null, "-", $"overruns={Number(kernel.EventsLost)}", "-"));
        return new MptcpPmCheckResult(findings, kernel);
    }

    private static void Index(Dictionary<uint, List<MptcpConnection>> byToken, uint token, MptcpConnection c)
    {
        if (!byToken.TryGetValue(token, out List<MptcpConnection>? list))
            byToken[token] = list = [];
        list.Add(c);
    }

    /// <summary>The wire connection with the kernel connection's token: the one whose initial subflow has its ends, else the latest (tokens are reused once a connection closed).</summary>
    private static MptcpConnection? Match(MptcpKernelConnection k, Dictionary<uint, List<MptcpConnection>> byToken)
    {
        if (!byToken.TryGetValue(k.Token, out List<MptcpConnection>? candidates))
            return null;
        if (k.Local is { } l && k.Remote is { } r)
        {
            foreach (MptcpConnection c in candidates)
            {
                if (c.InitialSubflow is { } s && SameEnds(s, l, r))
                    return c;
            }
        }
        return candidates[^1];
    }

    private static void CompareConnection(MptcpKernelConnection k, MptcpConnection w, MptcpKernelView view, List<MptcpPmFinding> list)
    {
        // The kernel's token is its own: the wire end whose token it is, is this host (for an orphan group, the joins' receiver).
        MptcpPeer local = w.Kind == MptcpConnectionKind.Mptcp && w.ClientToken == k.Token ? MptcpPeer.Client : MptcpPeer.Server;
        MptcpPeer peer = MptcpSubflow.Other(local);
        int first = list.Count;
        void Add(MptcpPmFindingKind kind, string subject, string kernel, string wire) =>
            list.Add(new MptcpPmFinding(kind, w, k, local, subject, kernel, wire));

        if (w.Kind == MptcpConnectionKind.Mptcp && k.ServerSide is bool serverSide && serverSide != (local == MptcpPeer.Server))
            Add(MptcpPmFindingKind.Role, "-", serverSide ? "server" : "client", Peer(local));

        var matched = new HashSet<MptcpSubflow>();
        foreach (MptcpKernelSubflow ks in k.Subflows)
        {
            if (!ks.Established)
                continue; // SUB_CLOSED alone: a join that failed
            MptcpSubflow? ws = w.Subflows.FirstOrDefault(s => SameEnds(s, ks.Local, ks.Remote));
            if (ws is not { Established: true })
            {
                if (!ks.ExistedAtStart) // else its handshake predates the capture
                    Add(MptcpPmFindingKind.SubflowKernelOnly, Ends(ks.Local, ks.Remote), Ids(ks), ws is null ? "-" : $"tcp.stream={Number(ws.Stream)},not-established");
                continue;
            }
            matched.Add(ws);
            bool localOpened = ws.OpenerAddress == ks.Local.Address && ws.OpenerPort == ks.Local.Port;
            bool wireBackup = localOpened ? ws.ResponderBackup : ws.OpenerBackup;
            if (ks.Backup != wireBackup)
                Add(MptcpPmFindingKind.Backup, Ends(ks.Local, ks.Remote), Bit(ks.Backup), Bit(wireBackup));
            int wirePriority = ws.Priority(peer);
            if ((ks.PriorityEvents > 0) != (wirePriority > 0))
                Add(MptcpPmFindingKind.Priority, Ends(ks.Local, ks.Remote), $"sub_priority={Number(ks.PriorityEvents)}", $"mp_prio={Number(wirePriority)}");
        }
        foreach (MptcpSubflow ws in w.Subflows)
        {
            if (!ws.Established || matched.Contains(ws))
                continue;
            (MptcpSocketAddress near, MptcpSocketAddress far) = ws.OpenedBy == local
                ? (new MptcpSocketAddress(ws.OpenerAddress, ws.OpenerPort), new MptcpSocketAddress(ws.ResponderAddress, ws.ResponderPort))
                : (new MptcpSocketAddress(ws.ResponderAddress, ws.ResponderPort), new MptcpSocketAddress(ws.OpenerAddress, ws.OpenerPort));
            Add(MptcpPmFindingKind.SubflowWireOnly, Ends(near, far), "-", $"tcp.stream={Number(ws.Stream)}");
        }

        foreach (MptcpKernelAddress ka in k.Announced)
        {
            if (!w.AddedAddresses.Any(a => a.Sender == peer && !a.Echo && a.AddressId == ka.Id && a.Address == ka.Address && (a.Port == 0 || a.Port == ka.Port)))
                Add(MptcpPmFindingKind.AnnounceKernelOnly, (ka with { Port = 0 }).ToString(), new MptcpSocketAddress(ka.Address, ka.Port).ToString(), "-");
        }
        foreach (MptcpAddressAdvertisement a in w.AddedAddresses)
        {
            if (a.Sender != peer || a.Echo)
                continue;
            if (!k.Announced.Any(ka => a.AddressId == ka.Id && a.Address == ka.Address && (a.Port == 0 || a.Port == ka.Port)))
                Add(MptcpPmFindingKind.AnnounceWireOnly, new MptcpKernelAddress(a.AddressId, a.Address, 0).ToString(), "-", Advertised(a));
        }
        foreach (byte id in k.Removed)
        {
            if (!w.RemovedAddresses.Contains((peer, id)))
                Add(MptcpPmFindingKind.RemoveKernelOnly, "id" + Number(id), "removed", "-");
        }
        foreach ((MptcpPeer sender, byte id) in w.RemovedAddresses)
        {
            if (sender == peer && !k.Removed.Contains(id))
                Add(MptcpPmFindingKind.RemoveWireOnly, "id" + Number(id), "-", "rm_addr");
        }

        // The in-kernel PM announces every signal endpoint once the connection is established, except the address the
        // connection started from (it has id 0 there), and retransmits each until the peer echoes it (RFC 8684 §3.4.1).
        // Version 0 (RFC 6824) has no echo; Linux speaks only version 1.
        if (k.Created && k.Established && w.Kind == MptcpConnectionKind.Mptcp && w.Version == 1)
        {
            foreach (MptcpKernelAddress e in view.SignalEndpoints)
            {
                if (k.Local is { } start && start.Address == e.Address)
                    continue;
                bool sent = w.AddedAddresses.Any(a => a.Sender == local && !a.Echo && Same(a, e));
                bool echoed = w.AddedAddresses.Any(a => a.Sender == peer && a.Echo && Same(a, e));
                if (!sent && !echoed)
                    Add(MptcpPmFindingKind.SignalMissing, e.ToString(), "signal", "-");
                else if (!echoed)
                    Add(MptcpPmFindingKind.EchoMissing, e.ToString(), "signal", "add_addr");
            }
        }

        if (list.Count == first)
            Add(MptcpPmFindingKind.Agree, "-", Summary(k), Summary(w, peer));
    }

    /// <summary>A wire MPTCP connection no kernel connection has the token of: a discrepancy only when this host is one of its ends.</summary>
    private static MptcpPmFinding Unreported(MptcpConnection w, MptcpKernelView kernel)
    {
        MptcpSubflow? initial = w.InitialSubflow;
        bool IsLocal(IpAddress a) => kernel.LocalAddresses.Contains(a);
        MptcpPeer? side = initial is null ? null
            : IsLocal(initial.OpenerAddress) ? MptcpPeer.Client
            : IsLocal(initial.ResponderAddress) ? MptcpPeer.Server
            : null;
        bool endpoint = side is not null || w.Subflows.Any(s => IsLocal(s.OpenerAddress) || IsLocal(s.ResponderAddress));
        string subject = "-";
        if (initial is not null)
        {
            var client = new MptcpSocketAddress(initial.OpenerAddress, initial.OpenerPort);
            var server = new MptcpSocketAddress(initial.ResponderAddress, initial.ResponderPort);
            subject = side == MptcpPeer.Server ? Ends(server, client) : Ends(client, server);
        }
        return new MptcpPmFinding(endpoint ? MptcpPmFindingKind.WireOnly : MptcpPmFindingKind.NotEndpoint, w, null, side, subject, "-",
            Summary(w, side is MptcpPeer s ? MptcpSubflow.Other(s) : MptcpPeer.Server));
    }

    private static bool SameEnds(MptcpSubflow s, in MptcpSocketAddress a, in MptcpSocketAddress b)
    {
        var opener = new MptcpSocketAddress(s.OpenerAddress, s.OpenerPort);
        var responder = new MptcpSocketAddress(s.ResponderAddress, s.ResponderPort);
        return (opener == a && responder == b) || (opener == b && responder == a);
    }

    private static bool Same(MptcpAddressAdvertisement a, in MptcpKernelAddress e) =>
        a.AddressId == e.Id && a.Address == e.Address && (e.Port == 0 || a.Port == e.Port);

    private static string Summary(MptcpKernelConnection k) =>
        $"sf={Number(k.Subflows.Count(s => s.Established))},add={Number(k.Announced.Count)},rm={Number(k.Removed.Count)}";

    /// <summary>The wire's counterpart of the kernel summary: established subflows, and what <paramref name="peer"/> announced and removed.</summary>
    private static string Summary(MptcpConnection w, MptcpPeer peer) =>
        $"sf={Number(w.Subflows.Count(s => s.Established))}," +
        $"add={Number(w.AddedAddresses.Where(a => a.Sender == peer && !a.Echo).Select(a => (a.AddressId, a.Address)).Distinct().Count())}," +
        $"rm={Number(w.RemovedAddresses.Count(r => r.Sender == peer))}";

    private static string Ends(in MptcpSocketAddress local, in MptcpSocketAddress remote) => $"{local}-{remote}";

    private static string Ids(MptcpKernelSubflow s) => $"locid={Number(s.LocalId)},remid={Number(s.RemoteId)}";

    private static string Advertised(MptcpAddressAdvertisement a) =>
        a.Port == 0 ? a.Address.ToString() : new MptcpSocketAddress(a.Address, a.Port).ToString();

    private static string Bit(bool b) => b ? "backup=1" : "backup=0";

    private static string Peer(MptcpPeer p) => p == MptcpPeer.Client ? "client" : "server";

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
