using System.Globalization;
using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// An address with its MPTCP address id (RFC 8684 §3.4.1): one the peer announced (MPTCP_EVENT_ANNOUNCED), or a local
/// in-kernel endpoint with the <c>signal</c> flag. Port 0: none.
/// </summary>
public readonly record struct MptcpKernelAddress(byte Id, IpAddress Address, ushort Port)
{
    /// <summary><c>id1=10.0.2.2</c>, with <c>:port</c> when there is one (IPv6 in brackets then), as the <c>add_addr</c> column writes them.</summary>
    public override string ToString()
    {
        string id = Id.ToString(CultureInfo.InvariantCulture);
        if (Port == 0)
            return $"id{id}={Address}";
        return $"id{id}={new MptcpSocketAddress(Address, Port)}";
    }
}
