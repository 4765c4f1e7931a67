using System.Net;

namespace Tributary.Testing;

/// <summary>
/// The two-namespace, two-path lab of tools/mptcp/topology.sh (ORACLE "Topology"), built with this
/// project's own namespace names: client c1/c2 (10.11.1.1, 10.11.2.1, fd11:1::1, fd11:2::1; ifindex 2
/// and 3) wired by veth to server s1/s2 (….2), client default routes via both paths, server limits 8/8,
/// rp_filter off. Nothing can leave the namespaces. Disposing deletes both, after what the test gave it to
/// <see cref="Own"/> (servers, monitors). Shared by the test projects of every level that runs MPTCP traffic (path
/// management, flow monitoring); MPTCP sockets come from the projects that have them (Tributary.Mptcp.Tests'
/// <c>MptcpLabSockets</c>) or from tools/mptcp/mptcp_app.py.
/// </summary>
public sealed class MptcpLab : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <param name="clientPrefix">Prefix of the client namespace's name (<see cref="TestNetworkNamespace.Create"/>).</param>
    /// <param name="serverPrefix">Prefix of the server namespace's name.</param>
    public MptcpLab(string clientPrefix = "mpc", string serverPrefix = "mps")
    {
        Client = TestNetworkNamespace.Create(clientPrefix);
        Server = TestNetworkNamespace.Create(serverPrefix);
        try
        {
            foreach (TestNetworkNamespace ns in new[] { Client, Server })
            {
                ns.Sysctl("net.mptcp.enabled", "1");
                ns.Sysctl("net.ipv4.conf.all.rp_filter", "0");
                ns.Sysctl("net.ipv4.conf.default.rp_filter", "0");
            }
            var batch = new List<string>();
            for (int p = 1; p <= 2; p++)
            {
                Client.Ip("link", "add", $"c{p}", "type", "veth", "peer", "name", $"s{p}", "netns", Server.Name);
                Client.Ip("addr", "add", $"10.11.{p}.1/24", "dev", $"c{p}");
                Client.Ip("addr", "add", $"fd11:{p}::1/64", "dev", $"c{p}", "nodad");
                Server.Ip("addr", "add", $"10.11.{p}.2/24", "dev", $"s{p}");
                Server.Ip("addr", "add", $"fd11:{p}::2/64", "dev", $"s{p}", "nodad");
                Client.Ip("link", "set", $"c{p}", "up");
                Server.Ip("link", "set", $"s{p}", "up");
                Client.Sysctl($"net.ipv4.conf.c{p}.rp_filter", "0");
                Server.Sysctl($"net.ipv4.conf.s{p}.rp_filter", "0");
            }
            Client.Ip("route", "add", "default", "via", "10.11.1.2", "dev", "c1", "metric", "100");
            Client.Ip("route", "add", "default", "via", "10.11.2.2", "dev", "c2", "metric", "200");
            Client.Ip("-6", "route", "add", "default", "via", "fd11:1::2", "dev", "c1", "metric", "100");
            Client.Ip("-6", "route", "add", "default", "via", "fd11:2::2", "dev", "c2", "metric", "200");
            Server.Ip("mptcp", "limits", "set", "subflows", "8", "add_addr_accepted", "8");
            // Link-local IPv6 appears after link-up: wait until no address is tentative, so that the
            // daemon's initial dump is the final state.
            TaskTimeouts.WaitUntil(() => !Client.Ip("-6", "addr", "show", "tentative").Contains("inet6", StringComparison.Ordinal)
                && Client.Ip("-6", "addr", "show", "dev", "c2").Contains("fe80", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "IPv6 link-local addresses"); // DAD, slow on a loaded machine
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestNetworkNamespace Client { get; }

    public TestNetworkNamespace Server { get; }

    public static readonly IPAddress C1 = IPAddress.Parse("10.11.1.1");
    public static readonly IPAddress C2 = IPAddress.Parse("10.11.2.1");
    public static readonly IPAddress S1 = IPAddress.Parse("10.11.1.2");
    public static readonly IPAddress S2 = IPAddress.Parse("10.11.2.2");

    /// <summary><c>ip mptcp endpoint show</c> in the client namespace, trailing blanks trimmed.</summary>
    public string ClientEndpoints => Normalize(Client.Ip("mptcp", "endpoint", "show"));

    public string ClientLimits => Client.Ip("mptcp", "limits", "show").Trim();

    public static string Normalize(string s) => string.Join('\n', s.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0));

    /// <summary>Disposed with the lab, before its namespaces are deleted (in the reverse order of ownership).</summary>
    public T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        Client?.Dispose();
        Server?.Dispose();
    }
}

