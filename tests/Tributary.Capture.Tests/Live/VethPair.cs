namespace Tributary.Capture.Tests.Live;

/// <summary>Two fresh namespaces joined by a veth pair: <c>va</c> (10.211.0.1, fd11::1) in A, <c>vb</c> (10.211.0.2, fd11::2) in B.</summary>
public sealed class VethPair : IDisposable
{
    public VethPair(bool offloads = true)
    {
        A = TestNetworkNamespace.Create("capa");
        B = TestNetworkNamespace.Create("capb");
        try
        {
            ProcessRunner.Run("ip", "link", "add", "va", "netns", A.Name, "type", "veth", "peer", "name", "vb", "netns", B.Name)
                .EnsureSuccess("ip link add veth");
            foreach (var (ns, dev, v4, v6) in new[] { (A, "va", "10.211.0.1/24", "fd11::1/64"), (B, "vb", "10.211.0.2/24", "fd11::2/64") })
            {
                ns.Sysctl("net.ipv6.conf.all.disable_ipv6", "0");
                ns.Ip("addr", "add", v4, "dev", dev);
                ns.Ip("-6", "addr", "add", v6, "dev", dev, "nodad");
                ns.Ip("link", "set", dev, "up");
                if (!offloads)
                    ns.Exec("ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestNetworkNamespace A { get; }

    public TestNetworkNamespace B { get; }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
