using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>
/// The real daemon's control socket (<c>--control-socket</c>, mptcpd#79): queries answered from the kernel and the
/// path manager, bad requests answered without closing, MPTCP events of a real loopback connection streamed to a
/// subscriber as plugins see them, the socket's mode and its removal at exit, and the paths it refuses.
/// </summary>
public sealed class ControlSocketTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"trib-ctl-{Guid.NewGuid():N}");

    public ControlSocketTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TestNetworkNamespace Namespace()
    {
        var ns = TestNetworkNamespace.Create("ctl");
        ns.Ip("link", "set", "lo", "up");
        ns.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
        ns.Ip("addr", "add", "192.0.2.1/24", "dev", "v0");
        ns.Ip("link", "set", "v0", "up");
        ns.Ip("link", "set", "v1", "up");
        return ns;
    }

    private static BackgroundProcess StartDaemon(TestNetworkNamespace ns, string socketPath) =>
        new("ip", ["netns", "exec", ns.Name, DaemonProcessTests.Binary, "mptcpd", "--config", DaemonProcessTests.NoConfig,
            "--load-plugins=addr_adv", "--notify-flags=existing,skip_link_local", "--addr-flags=subflow", $"--control-socket={socketPath}"], null);

    /// <summary>A client of the control socket: a line out, a line back.</summary>
    private sealed class Client : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly StreamReader _reader;

        public Client(string path)
        {
            _socket.Connect(new UnixDomainSocketEndPoint(path));
            _socket.ReceiveTimeout = 15_000;
            _reader = new StreamReader(new NetworkStream(_socket, ownsSocket: false), Encoding.UTF8);
        }

        public void Send(string line) => _socket.Send(Encoding.UTF8.GetBytes(line + "\n"));

        public JsonElement Read() => JsonDocument.Parse(_reader.ReadLine() ?? throw new IOException("the daemon closed the connection")).RootElement;

        /// <summary>The next line as sent; null when the daemon closed the connection.</summary>
        public string? ReadLine() => _reader.ReadLine();

        public JsonElement Ask(string command)
        {
            Send($"{{\"command\":\"{command}\"}}");
            return Read();
        }

        public void Dispose()
        {
            _reader.Dispose();
            _socket.Dispose();
        }
    }

    private static int Subscribers(string path)
    {
        using var client = new Client(path);
        return client.Ask("status").GetProperty("subscribers").GetInt32();
    }

    [KernelFact]
    public async Task Queries_are_answered_and_a_subscriber_gets_the_events_of_a_real_connection()
    {
        using TestNetworkNamespace ns = Namespace();
        string path = Path.Combine(_dir, "control.sock");
        using BackgroundProcess daemon = StartDaemon(ns, path);
        TaskTimeouts.WaitUntil(() => File.Exists(path) && daemon.Error.Contains("Serving the control socket", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the control socket");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        using (var client = new Client(path))
        {
            JsonElement status = client.Ask("status");
            Assert.True(status.GetProperty("ok").GetBoolean());
            Assert.Equal("addr_adv", status.GetProperty("default_plugin").GetString());
            Assert.Equal(["addr_adv"], status.GetProperty("plugins").EnumerateArray().Select(p => p.GetString()));

            TaskTimeouts.WaitUntil(() => client.Ask("endpoints").GetProperty("endpoints").GetArrayLength() == 1, TimeSpan.FromSeconds(15), "addr_adv's endpoint");
            JsonElement endpoint = client.Ask("endpoints").GetProperty("endpoints")[0];
            Assert.Equal("192.0.2.1", endpoint.GetProperty("address").GetString());
            Assert.Equal(["subflow"], endpoint.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("v0", endpoint.GetProperty("interface").GetString());
            Assert.Contains("192.0.2.1 id 1 subflow dev v0", ns.Ip("mptcp", "endpoint", "show"), StringComparison.Ordinal); // what the kernel says

            JsonElement limits = client.Ask("limits");
            string[] kernel = ns.Ip("mptcp", "limits", "show").Trim().Split(' '); // "add_addr_accepted N subflows M"
            Assert.Equal((uint.Parse(kernel[1], System.Globalization.CultureInfo.InvariantCulture), uint.Parse(kernel[3], System.Globalization.CultureInfo.InvariantCulture)),
                (limits.GetProperty("add_addr_accepted").GetUInt32(), limits.GetProperty("subflows").GetUInt32()));

            JsonElement v0 = client.Ask("interfaces").GetProperty("interfaces").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "v0");
            Assert.Contains("192.0.2.1", v0.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));

            // Bad requests: answered, and the connection stays open.
            client.Send("not json");
            JsonElement bad = client.Read();
            Assert.False(bad.GetProperty("ok").GetBoolean());
            Assert.StartsWith("not JSON", bad.GetProperty("error").GetString(), StringComparison.Ordinal);
            client.Send("[1]");
            Assert.Equal("a request is a JSON object with a \"command\" string", client.Read().GetProperty("error").GetString());
            Assert.Equal("unknown command \"reboot\" (status, endpoints, limits, interfaces, subscribe)", client.Ask("reboot").GetProperty("error").GetString());
            Assert.True(client.Ask("status").GetProperty("ok").GetBoolean());
        }

        using (var subscriber = new Client(path))
        {
            Assert.True(subscriber.Ask("subscribe").GetProperty("ok").GetBoolean());
            TaskTimeouts.WaitUntil(() => Subscribers(path) == 1, TimeSpan.FromSeconds(5), "the subscription");
            using (Socket server = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name))
            {
                server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                server.Listen();
                using Socket client = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name);
                await client.ConnectAsync(server.LocalEndPoint!).WithTimeout();
                using Socket accepted = await server.AcceptAsync().WithTimeout();
            }
            var events = new List<JsonElement>();
            while (events.Count(e => e.GetProperty("event").GetString() == "connection_closed") < 2)
                events.Add(subscriber.Read());
            Assert.Equal("listener_created", events[0].GetProperty("event").GetString());
            JsonElement[] created = [.. events.Where(e => e.GetProperty("event").GetString() == "new_connection")];
            Assert.Equal(2, created.Length);
            Assert.Equal([false, true], created.Select(e => e.GetProperty("server_side").GetBoolean()).Order());
            Assert.All(created, e => Assert.StartsWith("127.0.0.1:", e.GetProperty("local").GetString(), StringComparison.Ordinal));
            Assert.All(events, e => Assert.Equal("addr_adv", e.GetProperty("plugin").GetString()));
            // Each connection's events in the kernel's order, keyed by its token.
            foreach (JsonElement c in created)
            {
                uint token = c.GetProperty("token").GetUInt32();
                string[] mine = [.. events.Where(e => e.TryGetProperty("token", out JsonElement t) && t.GetUInt32() == token).Select(e => e.GetProperty("event").GetString()!)];
                Assert.Equal(["new_connection", "connection_established", "connection_closed"], mine);
            }
        }

        daemon.Signal(15);
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(10)), "the daemon did not stop");
        Assert.Equal(0, daemon.ExitCode);
        Assert.False(File.Exists(path), "the control socket is removed at exit");
    }

    [KernelFact]
    public async Task A_subscriber_that_stops_reading_is_told_it_overflowed_and_dropped_while_others_go_on()
    {
        using TestNetworkNamespace ns = Namespace();
        string path = Path.Combine(_dir, "control.sock");
        using BackgroundProcess daemon = StartDaemon(ns, path);
        TaskTimeouts.WaitUntil(() => daemon.Error.Contains("Serving the control socket", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the control socket");
        using var slow = new Client(path);
        using var fast = new Client(path);
        Assert.True(slow.Ask("subscribe").GetProperty("ok").GetBoolean());
        Assert.True(fast.Ask("subscribe").GetProperty("ok").GetBoolean());
        int fastEvents = 0;
        Task reader = Task.Run(() =>
        {
            while (fast.ReadLine() is { } line) // until the test closes it
            {
                if (line.Contains("\"event\":\"connection_closed\"", StringComparison.Ordinal))
                    Interlocked.Increment(ref fastEvents);
            }
        });
        // Six events a connection (both sides' CREATED, ESTABLISHED, CLOSED): the slow subscriber's socket buffer
        // and its queue of 4,096 fill within about a thousand connections.
        using (Socket server = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name))
        {
            server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            server.Listen(64);
            for (int n = 1; n <= 3000 && !daemon.Error.Contains("events behind", StringComparison.Ordinal); n++)
            {
                using (Socket client = MptcpSocket.Create(AddressFamily.InterNetwork, ns.Name))
                {
                    await client.ConnectAsync(server.LocalEndPoint!).WithTimeout();
                    using Socket accepted = await server.AcceptAsync().WithTimeout();
                }
                // The reading subscriber is kept within 50 connections of the events (however loaded the machine),
                // so that only the other one can fall behind.
                if (n % 50 == 0)
                    TaskTimeouts.WaitUntil(() => Volatile.Read(ref fastEvents) >= 2 * (n - 50), TimeSpan.FromSeconds(20), "the reading subscriber");
            }
        }
        Assert.Contains("A control socket subscriber fell 4096 events behind and was disconnected.", daemon.Error, StringComparison.Ordinal);
        // The slow one reads what was sent before the queue overflowed, then the notice, then the end.
        string? last = null, line;
        var lines = 0;
        while ((line = slow.ReadLine()) is not null)
        {
            last = line;
            lines++;
        }
        Assert.Equal("{\"event\":\"overflow\"}", last);
        Assert.True(lines > 4096, $"{lines} lines before the end");
        // The one that kept reading is still subscribed and saw every connection close.
        Assert.Equal(1, Subscribers(path));
        Assert.False(reader.IsCompleted, reader.Exception?.ToString()); // still reading: not disconnected
        Assert.True(Volatile.Read(ref fastEvents) > 1000, $"{fastEvents} connection_closed events");
    }

    [KernelFact]
    public void A_stale_socket_is_replaced_and_a_served_one_or_another_file_is_refused()
    {
        using TestNetworkNamespace ns = Namespace();
        string path = Path.Combine(_dir, "control.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            stale.Bind(new UnixDomainSocketEndPoint(path)); // a socket file nobody listens on: a daemon that died
        using BackgroundProcess first = StartDaemon(ns, path);
        TaskTimeouts.WaitUntil(() => first.Error.Contains("Serving the control socket", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the control socket");
        using (var client = new Client(path))
            Assert.True(client.Ask("status").GetProperty("ok").GetBoolean());

        ProcessResult second = ProcessRunner.Run("ip", ["netns", "exec", ns.Name, DaemonProcessTests.Binary, "mptcpd", "--config", DaemonProcessTests.NoConfig,
            "--load-plugins=addr_adv", $"--control-socket={path}"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"control socket {path}: another process serves it", second.StandardError, StringComparison.Ordinal);
        using (var client = new Client(path))
            Assert.True(client.Ask("status").GetProperty("ok").GetBoolean()); // the first daemon's, untouched

        string file = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(file, "keep me");
        ProcessResult third = ProcessRunner.Run("ip", ["netns", "exec", ns.Name, DaemonProcessTests.Binary, "mptcpd", "--config", DaemonProcessTests.NoConfig,
            "--load-plugins=addr_adv", $"--control-socket={file}"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(1, third.ExitCode);
        Assert.Contains($"control socket {file}: the file exists and is not a socket", third.StandardError, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(file));

        first.Signal(15);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, first.ExitCode);
    }
}
