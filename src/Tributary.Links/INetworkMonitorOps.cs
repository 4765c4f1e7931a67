using System.Net;

namespace Tributary.Links;

/// <summary>
/// The network monitor's callbacks (mptcpd's <c>struct mptcpd_nm_ops</c>). Implement the ones you
/// need; the others do nothing. They run on the monitor's thread (or the thread calling
/// <see cref="NetworkMonitor.Start"/> for the initial report) one at a time, with the user data
/// given at registration. An exception thrown by a callback is logged and does not stop the monitor.
/// </summary>
public interface INetworkMonitorOps
{
    /// <summary>An interface became tracked (appeared UP and RUNNING).</summary>
    void NewInterface(InterfaceInfo info, object? userData)
    {
    }

    /// <summary>A tracked interface changed (any RTM_NEWLINK for it while it stays UP and RUNNING).</summary>
    void UpdateInterface(InterfaceInfo info, object? userData)
    {
    }

    /// <summary>
    /// A tracked interface went away or stopped being UP and RUNNING. Its addresses go with it, with no
    /// <see cref="DeleteAddress"/> for each (mptcpd semantics).
    /// </summary>
    void DeleteInterface(InterfaceInfo info, object? userData)
    {
    }

    /// <summary>An address appeared on a tracked interface (after the skip flags and, with CheckRoute, the route check).</summary>
    void NewAddress(InterfaceInfo info, IPAddress address, object? userData)
    {
    }

    /// <summary>A reported address was removed from a tracked interface, or stopped passing the skip flags (it became deprecated, say).</summary>
    void DeleteAddress(InterfaceInfo info, IPAddress address, object? userData)
    {
    }

    /// <summary>
    /// <see cref="NewAddress(InterfaceInfo, IPAddress, object?)"/> with the address's <c>IFA_F_*</c> flags; the
    /// monitor calls this one, and its default calls the three-argument form. Implement it to see the flags.
    /// </summary>
    void NewAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) => NewAddress(info, address, userData);

    /// <summary>
    /// <see cref="DeleteAddress(InterfaceInfo, IPAddress, object?)"/> with the address's <c>IFA_F_*</c> flags as
    /// of its removal (those that made it fail the skip flags, when that was the reason); the monitor calls
    /// this one, and its default calls the three-argument form.
    /// </summary>
    void DeleteAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) => DeleteAddress(info, address, userData);
}
