using System.Net;
using System.Text;

namespace Tributary.Mptcp;

/// <summary>
/// An in-kernel path-manager endpoint (<c>ip mptcp endpoint</c>): an id (1..255), a local address,
/// optional port, flags, and the interface the endpoint is bound to (0: none).
/// </summary>
public sealed record MptcpEndpoint(byte Id, IPAddress Address, MptcpEndpointFlags Flags = MptcpEndpointFlags.None,
    int InterfaceIndex = 0, ushort Port = 0)
{
    /// <summary>As <c>ip mptcp endpoint show</c> prints it, with the interface index instead of the name.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Address);
        if (Port != 0)
            sb.Append(" port ").Append(Port);
        sb.Append(" id ").Append(Id);
        foreach ((MptcpEndpointFlags flag, string name) in FlagNames)
        {
            if ((Flags & flag) != 0)
                sb.Append(' ').Append(name);
        }
        if (InterfaceIndex != 0)
            sb.Append(" ifindex ").Append(InterfaceIndex);
        return sb.ToString();
    }

    internal static readonly (MptcpEndpointFlags Flag, string Name)[] FlagNames =
    [
        (MptcpEndpointFlags.Signal, "signal"),
        (MptcpEndpointFlags.Subflow, "subflow"),
        (MptcpEndpointFlags.Backup, "backup"),
        (MptcpEndpointFlags.Fullmesh, "fullmesh"),
        (MptcpEndpointFlags.Implicit, "implicit"),
        (MptcpEndpointFlags.Laminar, "laminar"),
    ];
}
