using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>mptcpd's test-listener-manager re-expressed against real MPTCP sockets in a fresh namespace.</summary>
public class ListenerManagerTests
{
    [KernelFact("ss")]
    public void Listen_refcount_ephemeral_ports_and_bad_addresses()
    {
        using var ns = TestNetworkNamespace.Create("mpl");
        using var lm = new MptcpListenerManager(ns.Name);
        foreach (string ip in new[] { "127.0.0.1", "::1" })
        {
            var a = new MptcpAddress(IPAddress.Parse(ip), 0x3456);
            var b = new MptcpAddress(IPAddress.Parse(ip), 0x3457);
            Assert.Equal(a, lm.Listen(a));
            Assert.Equal(b, lm.Listen(b));
            Assert.Equal(a, lm.Listen(a)); // refcount
            MptcpAddress e = lm.Listen(new MptcpAddress(IPAddress.Parse(ip)));
            Assert.NotEqual(0, e.Port); // ephemeral port written back
            Assert.True(lm.Close(a));
            Assert.True(lm.Close(b));
            Assert.False(lm.Close(new MptcpAddress(IPAddress.Parse(ip)))); // a zero port never matches
            Assert.True(lm.Close(e));
        }
        // 127.0.0.1:0x3456 and ::1:0x3456 are still referenced once each.
        Assert.Equal(2, lm.Count);
        string ss = ns.Exec("ss", "-Hltn").EnsureSuccess("ss").StandardOutput;
        Assert.Contains("127.0.0.1:13398", ss, StringComparison.Ordinal);
        Assert.Contains("[::1]:13398", ss, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => lm.Listen(new MptcpAddress(IPAddress.Any, 1)));
        Assert.Throws<ArgumentException>(() => lm.Listen(new MptcpAddress(IPAddress.Broadcast, 1)));
        Assert.Throws<ArgumentException>(() => lm.Listen(new MptcpAddress(IPAddress.IPv6Any, 1)));
        Assert.Throws<ArgumentException>(() => lm.Listen(default));
        var notLocal = Assert.Throws<SocketException>(() => lm.Listen(new MptcpAddress(IPAddress.Parse("192.0.2.77"))));
        Assert.Equal(SocketError.AddressNotAvailable, notLocal.SocketErrorCode);
        Assert.False(lm.Close(default));
        lm.Dispose();
        lm.Dispose();
        Assert.Equal(0, lm.Count);
    }
}
