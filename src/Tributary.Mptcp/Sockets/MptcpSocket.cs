using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tributary.Mptcp.Interop;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// Creates Multipath TCP sockets (IPPROTO_MPTCP = 262). <see cref="Socket"/> refuses that protocol
/// itself, so the descriptor comes from socket(2) and is adopted (FEASIBILITY §4); Bind, Listen,
/// Connect, Accept, Send and Receive then work as for TCP.
/// </summary>
public static class MptcpSocket
{
    /// <summary>IPPROTO_MPTCP.</summary>
    public const int Protocol = Interop.Mptcp.IPPROTO_MPTCP;

    /// <summary>
    /// Opens an MPTCP stream socket of <paramref name="family"/>, in a named network namespace when
    /// <paramref name="networkNamespace"/> is given (a socket stays in the namespace it was created in).
    /// </summary>
    /// <exception cref="SocketException">socket(2) failed (EPROTONOSUPPORT without MPTCP, or net.mptcp.enabled=0).</exception>
    public static Socket Create(AddressFamily family, string? networkNamespace = null)
    {
        int domain = family switch
        {
            AddressFamily.InterNetwork => Libc.AF_INET,
            AddressFamily.InterNetworkV6 => Libc.AF_INET6,
            _ => throw new ArgumentException($"MPTCP sockets are IPv4 or IPv6, not {family}", nameof(family)),
        };
        return networkNamespace is null ? CreateHere(domain) : NetworkNamespace.Run(networkNamespace, () => CreateHere(domain));
    }

    private static Socket CreateHere(int domain)
    {
        int fd = Libc.socket(domain, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, Interop.Mptcp.IPPROTO_MPTCP);
        if (fd < 0)
            throw new SocketException(Marshal.GetLastPInvokeError());
        try
        {
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>
    /// MPTCP_INFO of a connected MPTCP socket; null when the connection fell back to plain TCP (the
    /// kernel then answers EOPNOTSUPP).
    /// </summary>
    public static MptcpInfo? GetInfo(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> buf = stackalloc byte[256];
        int n;
        try
        {
            n = socket.GetRawSocketOption(Interop.Mptcp.SOL_MPTCP, Interop.Mptcp.MPTCP_INFO, buf);
        }
        catch (SocketException)
        {
            return null;
        }
        return MptcpInfo.Parse(buf[..n]);
    }
}
