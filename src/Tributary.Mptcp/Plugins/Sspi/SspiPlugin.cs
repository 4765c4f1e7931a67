using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tributary.Links;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// The built-in "sspi" plugin: single subflow per interface, for the userspace path manager
/// (<c>net.mptcp.pm_type=1</c>). mptcpd's sspi only destroyed a second subflow on an interface and never
/// opened or announced anything (its announce used id 0; INVENTORY e.2, SUMMARY pitfall 5). This one
/// manages the paths: once a connection is established, a client opens one subflow from every other
/// interface (bound to it, from its first address of the connection's family, with the id manager's id)
/// to the peer, a server announces one address per other interface (with an MPTCP listener behind it);
/// new interfaces and addresses extend live connections; subflows and announcements of an address that
/// goes away are withdrawn; a second subflow on an interface is still closed. Bookkeeping is per subflow
/// (addresses and ports), so closing a rejected duplicate no longer forgets the legitimate subflow.
/// Interfaces that <see cref="PathManager.UsesInterface"/> refuses (the interface allow and deny lists) get no
/// subflow and no announcement. An id this plugin took for an address is freed when the address goes away, so a
/// host whose addresses change (DHCP, IPv6 temporary addresses) does not run out of the 255 ids.
/// </summary>
public sealed class SspiPlugin : MptcpPlugin, IMptcpPluginOps
{
    private readonly Dictionary<uint, Connection> _connections = [];

    /// <summary>Addresses (port 0) whose id this plugin allocated, not one it found already mapped.</summary>
    private readonly HashSet<MptcpAddress> _allocatedIds = [];

    public override string Name => "sspi";

    public override string Description => "MPTCP single-subflow-per-interface path manager";

    /// <summary>Connections being tracked (for tests and diagnostics).</summary>
    public int ConnectionCount => _connections.Count;

    public override bool Initialize(PathManager pathManager)
    {
        ArgumentNullException.ThrowIfNull(pathManager);
        if (!pathManager.RegisterOps(Name, this))
            return false;
        if (PathManager.ReadSysctl(pathManager.NetworkNamespace, "net/mptcp/pm_type")?.Trim() == "0")
            pathManager.Logger.LogWarning("sspi: net.mptcp.pm_type is 0, so the kernel's own path manager handles new connections and sspi can only watch them (sysctl -w net.mptcp.pm_type=1).");
        pathManager.Logger.LogInformation("MPTCP single-subflow-per-interface path manager initialized.");
        return true;
    }

    public override void Exit(PathManager pathManager)
    {
        ArgumentNullException.ThrowIfNull(pathManager);
        foreach (Connection c in _connections.Values)
            CloseAnnouncements(c, pathManager);
        _connections.Clear();
        pathManager.Logger.LogInformation("MPTCP single-subflow-per-interface path manager exited.");
    }

    // ------------------------------------------------------------------ connection events

    public void NewConnection(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
        bool userspace = PathManager.ReadSysctl(pm.NetworkNamespace, "net/mptcp/pm_type")?.Trim() == "1";
        var c = new Connection(token, local, remote, serverSide, denyJoinId0, userspace);
        _connections[token] = c;
        LocalInterface? i = pm.FindInterface(local);
        if (i is null)
        {
            pm.Logger.LogInformation("No network interface with given IP address.");
            pm.Logger.LogInformation("Unable to track connection.");
            return;
        }
        c.Initial = i.Index;
        c.Subflows[i.Index] = new Subflow(local, remote, Pending: false);
    }

    public void ConnectionEstablished(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
        if (!_connections.TryGetValue(token, out Connection? c))
            return;
        c.Established = true;
        Expand(c, pm);
    }

    public void ConnectionClosed(uint token, PathManager pm)
    {
        if (!_connections.Remove(token, out Connection? c))
        {
            pm.Logger.LogInformation("Untracked connection closed.");
            return;
        }
        CloseAnnouncements(c, pm);
    }

    public void NewAddress(uint token, byte remoteId, MptcpAddress address, PathManager pm)
    {
        if (!_connections.TryGetValue(token, out Connection? c))
            return;
        c.Announced.RemoveAll(a => a.Id == remoteId);
        c.Announced.Add((remoteId, address));
        Expand(c, pm);
    }

    public void AddressRemoved(uint token, byte remoteId, PathManager pm)
    {
        if (_connections.TryGetValue(token, out Connection? c))
            c.Announced.RemoveAll(a => a.Id == remoteId);
    }

    public void NewSubflow(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
        if (!_connections.TryGetValue(token, out Connection? c))
            return;
        int index = InterfaceOf(local, pm);
        if (index == 0)
        {
            pm.Logger.LogInformation("No network interface with given IP address.");
            pm.Logger.LogInformation("Unable to track subflow.");
            return;
        }
        if (c.Subflows.TryGetValue(index, out Subflow? s))
        {
            if (s.Pending && s.Local.SameAddress(local) && s.Remote.SameAddress(remote))
            {
                c.Subflows[index] = new Subflow(local, remote, Pending: false); // the one we asked for
                return;
            }
            if (!s.Pending && s.Local == local && s.Remote == remote)
                return;
            pm.Logger.LogInformation("Subflow already exists on network interface ({Index}). Closing new subflow.", index);
            c.Rejected.Add((local, remote));
            if (c.Userspace)
                Try(pm, "remove_subflow", () => pm.Commands.DestroySubflow(token, local, remote));
            return;
        }
        c.Subflows[index] = new Subflow(local, remote, Pending: false);
    }

    public void SubflowClosed(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
        if (!_connections.TryGetValue(token, out Connection? c))
            return;
        if (c.Rejected.Remove((local, remote)))
            return;
        foreach ((int index, Subflow s) in c.Subflows)
        {
            bool same = s.Pending ? s.Local.SameAddress(local) && s.Remote.SameAddress(remote) : s.Local == local && s.Remote == remote;
            if (same)
            {
                c.Subflows.Remove(index);
                return;
            }
        }
    }

    // ------------------------------------------------------------------ network monitor events

    public void NewLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm)
    {
        foreach (Connection c in _connections.Values.ToList())
            Expand(c, pm);
    }

    public void DeleteLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm)
    {
        Withdraw(info.Index, address, pm);
        ReleaseIds(pm);
    }

    public void DeleteInterface(InterfaceInfo info, PathManager pm)
    {
        Withdraw(info.Index, null, pm);
        ReleaseIds(pm);
    }

    // ------------------------------------------------------------------ path management

    /// <summary>Opens (client) or announces (server) one path on every interface the connection does not use yet.</summary>
    private void Expand(Connection c, PathManager pm)
    {
        if (!c.Userspace || !c.Established)
            return;
        AddressFamily family = c.Local.Family;
        foreach (LocalInterface i in pm.Interfaces)
        {
            if (!pm.UsesInterface(i.Name))
                continue; // --interfaces / --exclude-interfaces: no path over this interface
            IPAddress? address = PickAddress(i, family);
            if (address is null)
                continue;
            var local = new MptcpAddress(address);
            if (c.ServerSide)
            {
                if (c.Subflows.ContainsKey(i.Index) || c.Announcements.ContainsKey(i.Index))
                    continue;
                Announce(c, i.Index, local, pm);
            }
            else
            {
                if (c.Subflows.ContainsKey(i.Index))
                    continue;
                MptcpAddress remote = PickRemote(c, family, out byte remoteId);
                if (remote.IsNone)
                    continue;
                byte id = IdOf(local, pm);
                if (id == 0)
                    continue;
                if (Try(pm, "add_subflow", () => pm.Commands.CreateSubflow(c.Token, local, id, remote, remoteId, i.Index)))
                    c.Subflows[i.Index] = new Subflow(local, remote, Pending: true);
            }
        }
    }

    private void Announce(Connection c, int index, MptcpAddress local, PathManager pm)
    {
        byte id = IdOf(local, pm);
        if (id == 0)
            return;
        MptcpAddress listener;
        try
        {
            listener = pm.Listeners.Listen(local);
        }
        catch (SocketException ex)
        {
            pm.Logger.LogError("announce: cannot listen on {Address}: {Error}", local, ex.Message);
            return;
        }
        if (Try(pm, "announce", () => pm.Commands.Announce(c.Token, listener, id, index)))
            c.Announcements[index] = new Announcement(id, listener);
        else
            pm.Listeners.Close(listener);
    }

    /// <summary>The id manager's id for a local address, remembering the ones this plugin allocated.</summary>
    private byte IdOf(MptcpAddress local, PathManager pm)
    {
        bool mapped = pm.Ids.FindId(local) != 0;
        byte id = pm.Ids.GetId(local);
        if (!mapped && id != 0)
            _allocatedIds.Add(local.WithPort(0));
        return id;
    }

    /// <summary>
    /// Frees the ids this plugin allocated for addresses no tracked interface has any more (their subflows and
    /// announcements were withdrawn first). An id another plugin had mapped is left to it.
    /// </summary>
    private void ReleaseIds(PathManager pm)
    {
        foreach (MptcpAddress address in _allocatedIds.ToList())
        {
            if (pm.FindInterface(address) is not null)
                continue;
            _allocatedIds.Remove(address);
            pm.Ids.RemoveId(address);
        }
    }

    /// <summary>The peer address to join: the connection's own remote address, unless the peer refuses joins to it (C flag).</summary>
    private static MptcpAddress PickRemote(Connection c, AddressFamily family, out byte remoteId)
    {
        remoteId = 0;
        if (!c.DenyJoinId0)
            return c.Remote;
        foreach ((byte id, MptcpAddress a) in c.Announced)
        {
            if (a.Family == family)
            {
                remoteId = id;
                return a;
            }
        }
        return default;
    }

    /// <summary>The interface's first address of the family that is not IPv6 link-local (which could not reach a routed peer).</summary>
    private static IPAddress? PickAddress(LocalInterface i, AddressFamily family)
    {
        foreach (IPAddress a in i.Addresses)
        {
            if (a.AddressFamily == family && !a.IsIPv6LinkLocal)
                return a;
        }
        return null;
    }

    private static int InterfaceOf(MptcpAddress local, PathManager pm)
    {
        ref readonly MptcpEventAttributes e = ref pm.CurrentEvent;
        if (e.Has(MptcpEventAttribute.InterfaceIndex) && e.InterfaceIndex > 0 && e.Local == local)
            return e.InterfaceIndex;
        return pm.FindInterface(local)?.Index ?? 0;
    }

    /// <summary>An address (or, with null, a whole interface) went away: withdraw the paths that used it.</summary>
    private void Withdraw(int index, IPAddress? address, PathManager pm)
    {
        foreach (Connection c in _connections.Values)
        {
            if (c.Subflows.TryGetValue(index, out Subflow? s) && (address is null || s.Local.SameAddress(address)))
            {
                c.Subflows.Remove(index);
                if (c.Userspace && !s.Pending)
                    Try(pm, "remove_subflow", () => pm.Commands.DestroySubflow(c.Token, s.Local, s.Remote));
            }
            if (c.Announcements.TryGetValue(index, out Announcement? a) && (address is null || a.Listener.SameAddress(address)))
            {
                c.Announcements.Remove(index);
                Try(pm, "remove", () => pm.Commands.RemoveAnnouncement(c.Token, a.Id));
                pm.Listeners.Close(a.Listener);
            }
        }
    }

    private static void CloseAnnouncements(Connection c, PathManager pm)
    {
        foreach (Announcement a in c.Announcements.Values)
            pm.Listeners.Close(a.Listener);
        c.Announcements.Clear();
    }

    /// <summary>Runs a kernel command; a refusal is logged as mptcpd logs it ("op: ext-ack: strerror") and reported as false.</summary>
    private static bool Try(PathManager pm, string operation, Action command)
    {
        try
        {
            command();
            return true;
        }
        catch (NetlinkException ex)
        {
            pm.Logger.LogError("{Error}", ex.Message.StartsWith(operation, StringComparison.Ordinal) ? ex.Message : $"{operation}: {ex.Message}");
            return false;
        }
    }

    private sealed class Connection(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, bool userspace)
    {
        public uint Token { get; } = token;

        public MptcpAddress Local { get; } = local;

        public MptcpAddress Remote { get; } = remote;

        public bool ServerSide { get; } = serverSide;

        public bool DenyJoinId0 { get; } = denyJoinId0;

        /// <summary>The connection is under the userspace path manager, so our commands apply to it.</summary>
        public bool Userspace { get; } = userspace;

        public bool Established { get; set; }

        public int Initial { get; set; }

        /// <summary>The subflow on each interface (ifindex → subflow).</summary>
        public Dictionary<int, Subflow> Subflows { get; } = [];

        /// <summary>Duplicate subflows we closed, so that their SUB_CLOSED does not touch the kept one.</summary>
        public List<(MptcpAddress Local, MptcpAddress Remote)> Rejected { get; } = [];

        /// <summary>Our announcements per interface.</summary>
        public Dictionary<int, Announcement> Announcements { get; } = [];

        /// <summary>Addresses the peer announced (id, address).</summary>
        public List<(byte Id, MptcpAddress Address)> Announced { get; } = [];
    }

    private sealed record Subflow(MptcpAddress Local, MptcpAddress Remote, bool Pending);

    private sealed record Announcement(byte Id, MptcpAddress Listener);
}
