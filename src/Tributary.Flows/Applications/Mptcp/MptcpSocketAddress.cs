using System.Globalization;
using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>An address and port: one end of a subflow as the path manager reports it.</summary>
public readonly record struct MptcpSocketAddress(IpAddress Address, ushort Port)
{
    /// <summary><c>10.0.0.1:80</c>, <c>[fd00::1]:80</c>.</summary>
    public override string ToString()
    {
        string port = Port.ToString(CultureInfo.InvariantCulture);
        return Address.IsIPv4 ? $"{Address}:{port}" : $"[{Address}]:{port}";
    }
}
