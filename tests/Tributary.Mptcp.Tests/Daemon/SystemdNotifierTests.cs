using System.Net.Sockets;
using System.Text;
using Tributary.Mptcp.Daemon;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>sd_notify without libsystemd: path and abstract ('@') NOTIFY_SOCKET addresses, and nothing without one.</summary>
public class SystemdNotifierTests
{
    [Fact]
    public void Notifies_path_and_abstract_sockets_and_is_silent_without_one()
    {
        string name = "trib-notify-" + Guid.NewGuid().ToString("N");
        using var abstractSocket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        abstractSocket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        Assert.True(SystemdNotifier.Notify("READY=1", "@" + name));
        byte[] buf = new byte[64];
        abstractSocket.ReceiveTimeout = 5000;
        Assert.Equal("READY=1", Encoding.UTF8.GetString(buf, 0, abstractSocket.Receive(buf)));

        string path = Path.Combine(Path.GetTempPath(), name + ".sock");
        using var pathSocket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        pathSocket.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            Assert.True(SystemdNotifier.Notify("STOPPING=1", path));
            pathSocket.ReceiveTimeout = 5000;
            Assert.Equal("STOPPING=1", Encoding.UTF8.GetString(buf, 0, pathSocket.Receive(buf)));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.False(SystemdNotifier.Notify("READY=1", Path.Combine(Path.GetTempPath(), name + ".missing")));
        if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is null)
            Assert.False(SystemdNotifier.Notify("READY=1"));
    }
}
