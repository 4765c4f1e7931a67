using System.Net;
using Tributary.Links;

namespace Tributary.Mptcp;

/// <summary>
/// A plugin's operations (mptcpd's <c>struct mptcpd_plugin_ops</c>, INVENTORY c.2); implement the ones
/// you need, the others do nothing. Connection operations reach the plugin that handles the connection:
/// CREATED goes to the default plugin (<c>path-manager</c>, else the most favoured registered one), which
/// then receives every later event of that token; listener events go to the default plugin. Network
/// monitor operations reach every registered plugin, in registration order.
/// <para>Operations are called one at a time, never concurrently: network-monitor operations on the
/// monitor's thread, MPTCP events on the path manager's event thread. The <see cref="InterfaceInfo"/>
/// passed to the network-monitor operations is valid only during the call; use
/// <see cref="PathManager.Interfaces"/> elsewhere. <see cref="PathManager.CurrentEvent"/> holds every
/// attribute of the MPTCP event being dispatched (ids, interface index, errors).</para>
/// </summary>
public interface IMptcpPluginOps
{
    /// <summary>CREATED: a new connection (<paramref name="local"/>/<paramref name="remote"/> with ports).</summary>
    void NewConnection(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
    }

    /// <summary>ESTABLISHED: the connection is fully established (the place to open or announce more paths).</summary>
    void ConnectionEstablished(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
    }

    /// <summary>CLOSED.</summary>
    void ConnectionClosed(uint token, PathManager pm)
    {
    }

    /// <summary>ANNOUNCED: the peer announced <paramref name="address"/> (ADD_ADDR) with id <paramref name="remoteId"/>.</summary>
    void NewAddress(uint token, byte remoteId, MptcpAddress address, PathManager pm)
    {
    }

    /// <summary>REMOVED: the peer withdrew its address <paramref name="remoteId"/>.</summary>
    void AddressRemoved(uint token, byte remoteId, PathManager pm)
    {
    }

    /// <summary>SUB_ESTABLISHED. <paramref name="backup"/> is the subflow's real backup bit (mptcpd always passed true).</summary>
    void NewSubflow(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
    }

    /// <summary>SUB_CLOSED (not sent for the subflows of a connection that closes as a whole).</summary>
    void SubflowClosed(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
    }

    /// <summary>SUB_PRIORITY: the peer changed a subflow's priority (MP_PRIO received).</summary>
    void SubflowPriority(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
    }

    /// <summary>LISTENER_CREATED: an MPTCP socket (any application's) listens on <paramref name="local"/>.</summary>
    void ListenerCreated(MptcpAddress local, PathManager pm)
    {
    }

    /// <summary>LISTENER_CLOSED.</summary>
    void ListenerClosed(MptcpAddress local, PathManager pm)
    {
    }

    /// <summary>An interface became tracked (UP and RUNNING).</summary>
    void NewInterface(InterfaceInfo info, PathManager pm)
    {
    }

    /// <summary>A tracked interface changed.</summary>
    void UpdateInterface(InterfaceInfo info, PathManager pm)
    {
    }

    /// <summary>A tracked interface went away or down; its addresses go with it (no <see cref="DeleteLocalAddress"/> for each).</summary>
    void DeleteInterface(InterfaceInfo info, PathManager pm)
    {
    }

    /// <summary>An address appeared on a tracked interface (after the notify flags).</summary>
    void NewLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm)
    {
    }

    /// <summary>An address was removed from a tracked interface.</summary>
    void DeleteLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm)
    {
    }
}
