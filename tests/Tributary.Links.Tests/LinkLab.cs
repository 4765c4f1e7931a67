using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// A fresh namespace for monitor tests, with IPv6 address generation off (addr_gen_mode 1) so that
/// no link-local address appears on its own after link up and event sequences are deterministic;
/// tests that want link-local addresses add them explicitly.
/// </summary>
internal sealed class LinkLab : IDisposable
{
    public LinkLab()
    {
        Ns = TestNetworkNamespace.Create("lk");
        Ns.Sysctl("net.ipv6.conf.all.addr_gen_mode", "1");
        Ns.Sysctl("net.ipv6.conf.default.addr_gen_mode", "1");
    }

    public TestNetworkNamespace Ns { get; }

    public string Ip(params string[] args) => Ns.Ip(args);

    public NetworkMonitor Monitor(NotifyFlags flags, int? receiveBuffer = null, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        NetworkMonitor.Create(flags, new NetworkMonitorOptions
        {
            NetworkNamespace = Ns.Name,
            ReceiveBufferSize = receiveBuffer ?? new NetworkMonitorOptions().ReceiveBufferSize,
            Logger = logger,
        });

    /// <summary>A bridge (the stand-in for a dummy link: holds addresses, goes up and down), optionally up.</summary>
    public void Bridge(string name, bool up = true)
    {
        Ip("link", "add", name, "type", "bridge");
        if (up)
            Ip("link", "set", name, "up");
    }

    public void Dispose() => Ns.Dispose();
}
