using System.Net;

namespace Tributary.Links;

/// <summary>
/// One network-monitor callback as an immutable value, for <see cref="NetworkMonitor.ReadEventsAsync"/>:
/// the interface as it was when the event happened.
/// </summary>
public abstract record NetworkMonitorEvent(int Index, string Name, InterfaceFlags Flags, ushort Type)
{
    /// <summary>The mptcpd callback name: new_interface, update_interface, delete_interface, new_address, delete_address.</summary>
    public abstract string EventName { get; }
}

/// <summary><see cref="INetworkMonitorOps.NewInterface"/>.</summary>
public sealed record InterfaceAdded(int Index, string Name, InterfaceFlags Flags, ushort Type)
    : NetworkMonitorEvent(Index, Name, Flags, Type)
{
    public override string EventName => "new_interface";
}

/// <summary><see cref="INetworkMonitorOps.UpdateInterface"/>.</summary>
public sealed record InterfaceUpdated(int Index, string Name, InterfaceFlags Flags, ushort Type)
    : NetworkMonitorEvent(Index, Name, Flags, Type)
{
    public override string EventName => "update_interface";
}

/// <summary><see cref="INetworkMonitorOps.DeleteInterface"/>.</summary>
public sealed record InterfaceRemoved(int Index, string Name, InterfaceFlags Flags, ushort Type)
    : NetworkMonitorEvent(Index, Name, Flags, Type)
{
    public override string EventName => "delete_interface";
}

/// <summary><see cref="INetworkMonitorOps.NewAddress"/>.</summary>
public sealed record AddressAdded(int Index, string Name, InterfaceFlags Flags, ushort Type, IPAddress Address)
    : NetworkMonitorEvent(Index, Name, Flags, Type)
{
    public override string EventName => "new_address";

    /// <summary>The address's <c>IFA_F_*</c> flags when it was reported.</summary>
    public AddressFlags AddressFlags { get; init; }
}

/// <summary><see cref="INetworkMonitorOps.DeleteAddress"/>.</summary>
public sealed record AddressRemoved(int Index, string Name, InterfaceFlags Flags, ushort Type, IPAddress Address)
    : NetworkMonitorEvent(Index, Name, Flags, Type)
{
    public override string EventName => "delete_address";

    /// <summary>The address's <c>IFA_F_*</c> flags when it was removed.</summary>
    public AddressFlags AddressFlags { get; init; }
}
