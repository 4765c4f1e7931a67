using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>
/// The two-namespace, two-path lab of tools/mptcp/topology.sh (ORACLE "Topology"), built with this
/// project's own namespace names: client c1/c2 (10.11.1.1, 10.11.2.1, fd11:1::1, fd11:2::1; ifindex 2
/// and 3) wired by veth to server s1/s2 (….2), client default routes via both paths, server limits 8/8,
/// rp_filter off. Nothing can leave the namespaces. Disposing deletes both.
/// </summary>
internal sealed class MptcpLab : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public MptcpLab()
    {
        Client = TestNetworkNamespace.Create("mpc");
        Server = TestNetworkNamespace.Create("mps");
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

    /// <summary>An MPTCP server in the server namespace on 0.0.0.0:<paramref name="port"/> (or [::]) that reads and discards.</summary>
    public MptcpServer StartServer(int port, AddressFamily family = AddressFamily.InterNetwork)
    {
        var s = new MptcpServer(Server.Name, port, family);
        _owned.Add(s);
        return s;
    }

    /// <summary>Connects from the client namespace; the caller disposes the socket.</summary>
    public async Task<Socket> ConnectAsync(IPAddress server, int port, IPAddress? local = null, string? fromNamespace = null)
    {
        Socket c = MptcpSocket.Create(server.AddressFamily, fromNamespace ?? Client.Name);
        try
        {
            if (local is not null)
                c.Bind(new IPEndPoint(local, 0));
            await c.ConnectAsync(new IPEndPoint(server, port)).WithTimeout(what: "MPTCP connect");
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned)
            d.Dispose();
        Client?.Dispose();
        Server?.Dispose();
    }
}

/// <summary>An MPTCP listener that accepts and drains connections on a background task.</summary>
internal sealed class MptcpServer : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Socket> _accepted = [];

    public MptcpServer(string ns, int port, AddressFamily family)
    {
        _listener = MptcpSocket.Create(family, ns);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        _listener.Listen();
        _ = AcceptLoop();
    }

    public IReadOnlyList<Socket> Accepted
    {
        get
        {
            lock (_accepted)
                return [.. _accepted];
        }
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptAsync(_cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_accepted)
                _accepted.Add(s);
            _ = Drain(s);
        }
    }

    private async Task Drain(Socket s)
    {
        byte[] buf = new byte[65536];
        try
        {
            while (await s.ReceiveAsync(buf, _cts.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Dispose();
        lock (_accepted)
        {
            foreach (Socket s in _accepted)
                s.Dispose();
        }
    }
}
