using System.Net;

namespace Tributary.Links;

/// <summary>
/// A tracked network interface (mptcpd's <c>struct mptcpd_interface</c>): family (always
/// AF_UNSPEC, as in RTM_NEWLINK), type (<c>ARPHRD_*</c>), index, <c>IFF_*</c> flags, name and the
/// addresses the monitor has reported for it. The monitor owns and updates the object; callbacks
/// may read it during the call (and from <see cref="NetworkMonitor.ForEachInterface"/>), and must
/// copy what they want to keep.
/// </summary>
public sealed class InterfaceInfo
{
    internal readonly Internal.AddressSet AddressSet = new();

    internal InterfaceInfo(int index, ushort type, InterfaceFlags flags, string name)
    {
        Index = index;
        Type = type;
        Flags = flags;
        Name = name;
    }

    /// <summary>The address family of the link message: always 0 (AF_UNSPEC).</summary>
    public ushort Family => 0;

    /// <summary>The hardware type, <c>ARPHRD_*</c> (1 Ethernet, 772 loopback).</summary>
    public ushort Type { get; }

    /// <summary>The interface index (ifindex).</summary>
    public int Index { get; }

    public InterfaceFlags Flags { get; internal set; }

    /// <summary>The name (IFLA_IFNAME) when the interface was first tracked; renames are not followed, as in mptcpd.</summary>
    public string Name { get; }

    /// <summary>The addresses reported (or stored silently at start), in the order they appeared.</summary>
    public IReadOnlyList<IPAddress> Addresses => AddressSet;

    /// <summary>
    /// The <c>IFA_F_*</c> flags the kernel last reported for one of <see cref="Addresses"/> (they change in
    /// place: DAD completing, the preferred lifetime running out); false when the address is not one of them.
    /// </summary>
    public bool TryGetAddressFlags(IPAddress address, out AddressFlags flags)
    {
        ArgumentNullException.ThrowIfNull(address);
        return AddressSet.TryGetFlags(Internal.AddressKey.From(address), out flags);
    }

    public override string ToString() => $"{Index}:{Name} flags={InterfaceFlagsText.Format(Flags)} addresses=[{string.Join(", ", AddressSet)}]";
}
