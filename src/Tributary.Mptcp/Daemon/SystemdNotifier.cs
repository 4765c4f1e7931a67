using System.Net.Sockets;
using System.Text;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// sd_notify(3) without libsystemd: a datagram to the socket named by NOTIFY_SOCKET (a path, or an
/// abstract name starting with '@'), e.g. "READY=1" once the daemon serves. Does nothing when the
/// variable is unset (not started by systemd with Type=notify).
/// </summary>
public static class SystemdNotifier
{
    /// <summary>Sends <paramref name="state"/>; false when there is no notification socket or sending failed.</summary>
    public static bool Notify(string state, string? notifySocket = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        string? path = notifySocket ?? Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
            return false;
        if (path[0] == '@')
            path = "\0" + path[1..];
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            s.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
