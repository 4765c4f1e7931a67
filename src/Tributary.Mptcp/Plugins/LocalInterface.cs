using System.Net;
using Tributary.Links;

namespace Tributary.Mptcp;

/// <summary>
/// An immutable snapshot of a tracked interface kept by the path manager (<see cref="PathManager.Interfaces"/>),
/// safe to read from any thread, unlike the monitor's live <see cref="InterfaceInfo"/>.
/// </summary>
public sealed record LocalInterface(int Index, string Name, ushort Type, InterfaceFlags Flags, IReadOnlyList<IPAddress> Addresses)
{
    internal static LocalInterface From(InterfaceInfo i) => new(i.Index, i.Name, i.Type, i.Flags, [.. i.Addresses]);

    /// <summary>The first address of <paramref name="family"/> (addresses keep the order they appeared in).</summary>
    public IPAddress? FirstAddress(System.Net.Sockets.AddressFamily family) => Addresses.FirstOrDefault(a => a.AddressFamily == family);

    public bool HasAddress(MptcpAddress address) => Addresses.Any(a => address.SameAddress(a));
}
