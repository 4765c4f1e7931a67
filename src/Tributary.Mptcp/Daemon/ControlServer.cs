using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// The daemon's control socket (<c>--control-socket=PATH</c>; mptcpd#79 asks for a D-Bus API): a Unix stream socket,
/// mode 0600, on which each line a client sends is a JSON request and each line the daemon sends back a JSON answer.
/// Requests: <c>{"command":"status"}</c> (plugins, interfaces, event counts), <c>"endpoints"</c> (the kernel's
/// endpoint table), <c>"limits"</c>, <c>"interfaces"</c> (the tracked interfaces and their addresses) and
/// <c>"subscribe"</c>, after which the connection receives every MPTCP event as plugins see them, one JSON object a
/// line, until the client closes it. Answers carry <c>"ok"</c>; a bad request gets <c>"ok":false</c> and an
/// <c>"error"</c> and the connection stays open. Read-only: endpoints and subflows are the plugins' to change. A
/// subscriber that falls 4,096 events behind is sent <c>{"event":"overflow"}</c> and disconnected, and must
/// subscribe again (and re-read what it needs).
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private const int SubscriberQueue = 4096;

    private readonly string _path;
    private readonly PathManager _pm;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly Thread _acceptor;
    private readonly ConcurrentDictionary<Socket, BlockingCollection<string>> _subscribers = new();
    private readonly ConcurrentDictionary<Socket, byte> _clients = new();
    private volatile bool _stopping;

    private ControlServer(string path, PathManager pm, ILogger log, Socket listener)
    {
        _path = path;
        _pm = pm;
        _log = log;
        _listener = listener;
        _pm.EventDelivered += OnEvent;
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "mptcpd-control" };
        _acceptor.Start();
    }

    /// <summary>
    /// Listens on <paramref name="path"/>: a stale socket file is replaced; a socket another process serves, or a file
    /// that is not a socket, is an error (<see cref="PathManagerException"/>).
    /// </summary>
    public static ControlServer Start(string path, PathManager pm, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(pm);
        ArgumentNullException.ThrowIfNull(log);
        if (Interop.Libc.FileMode(path) is { } mode)
        {
            if ((mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFSOCK)
                throw new PathManagerException($"control socket {path}: the file exists and is not a socket");
            if (IsServed(path))
                throw new PathManagerException($"control socket {path}: another process serves it");
            File.Delete(path); // nobody listens: the socket of a daemon that died
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // Before listen(): nobody can connect while the file still has the umask's mode.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new PathManagerException($"control socket {path}: {ex.Message}");
        }
        return new ControlServer(path, pm, log, listener);
    }

    /// <summary>Whether a process accepts connections on the socket at <paramref name="path"/>.</summary>
    private static bool IsServed(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Accept()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return; // stopped
            }
            _clients[client] = 0;
            new Thread(() => Serve(client)) { IsBackground = true, Name = "mptcpd-control-client" }.Start();
        }
    }

    private void Serve(Socket client)
    {
        try
        {
            using var stream = new NetworkStream(client, ownsSocket: false);
            using var reader = new StreamReader(stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);
            while (!_stopping && reader.ReadLine() is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                    continue;
                string? command = Command(line, out string? error);
                if (command == "subscribe")
                {
                    Send(client, Answer(w => w.WriteBoolean("ok", true)));
                    Stream(client);
                    return;
                }
                Send(client, command is null ? Error(error!) : Handle(command));
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // the client went away
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
        }
    }

    /// <summary>The request's command; null with <paramref name="error"/> for a line that is not a request.</summary>
    private static string? Command(string line, out string? error)
    {
        error = null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("command", out JsonElement c)
                && c.ValueKind == JsonValueKind.String)
            {
                return c.GetString();
            }
            error = "a request is a JSON object with a \"command\" string";
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message}";
        }
        return null;
    }

    private string Handle(string command)
    {
        try
        {
            return command switch
            {
                "status" => Answer(Status),
                "endpoints" => Answer(Endpoints),
                "limits" => Answer(Limits),
                "interfaces" => Answer(Interfaces),
                _ => Error($"unknown command \"{command}\" (status, endpoints, limits, interfaces, subscribe)"),
            };
        }
        catch (Exception ex) when (ex is Tributary.Netlink.NetlinkException or InvalidOperationException)
        {
            return Error(ex.Message);
        }
    }

    private void Status(Utf8JsonWriter w)
    {
        w.WriteBoolean("ok", true);
        w.WriteString("default_plugin", _pm.DefaultPluginName);
        w.WriteStartArray("plugins");
        foreach (string name in _pm.RegisteredPlugins)
            w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteNumber("interfaces", _pm.Interfaces.Count);
        w.WriteNumber("resyncs", _pm.Resyncs);
        w.WriteNumber("subscribers", _subscribers.Count);
    }

    private void Endpoints(Utf8JsonWriter w)
    {
        IReadOnlyList<MptcpEndpoint> endpoints = _pm.Commands.DumpEndpoints();
        w.WriteBoolean("ok", true);
        w.WriteStartArray("endpoints");
        foreach (MptcpEndpoint e in endpoints)
        {
            w.WriteStartObject();
            w.WriteNumber("id", e.Id);
            w.WriteString("address", e.Address.ToString());
            if (e.Port != 0)
                w.WriteNumber("port", e.Port);
            w.WriteStartArray("flags");
            foreach ((MptcpEndpointFlags flag, string name) in MptcpEndpoint.FlagNames)
            {
                if ((e.Flags & flag) != 0)
                    w.WriteStringValue(name);
            }
            w.WriteEndArray();
            if (e.InterfaceIndex != 0)
            {
                w.WriteNumber("ifindex", e.InterfaceIndex);
                if (_pm.Interfaces.FirstOrDefault(i => i.Index == e.InterfaceIndex) is { } i)
                    w.WriteString("interface", i.Name);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private void Limits(Utf8JsonWriter w)
    {
        MptcpLimits limits = _pm.Commands.GetLimits();
        w.WriteBoolean("ok", true);
        w.WriteNumber("subflows", limits.Subflows);
        w.WriteNumber("add_addr_accepted", limits.AddAddrAccepted);
    }

    private void Interfaces(Utf8JsonWriter w)
    {
        w.WriteBoolean("ok", true);
        w.WriteStartArray("interfaces");
        foreach (LocalInterface i in _pm.Interfaces)
        {
            w.WriteStartObject();
            w.WriteNumber("index", i.Index);
            w.WriteString("name", i.Name);
            w.WriteStartArray("addresses");
            foreach (IPAddress a in i.Addresses)
                w.WriteStringValue(a.ToString());
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>On the event thread, under the dispatch lock: queues the event for every subscriber, at once.</summary>
    private void OnEvent(string op, string plugin, MptcpEventAttributes e)
    {
        if (_subscribers.IsEmpty)
            return;
        string line = Answer(w =>
        {
            w.WriteString("event", op);
            w.WriteString("plugin", plugin);
            if (e.Type is not (MptcpEventType.ListenerCreated or MptcpEventType.ListenerClosed))
                w.WriteNumber("token", e.Token);
            if (e.Local.ToIPAddress() is not null)
                w.WriteString("local", e.Local.ToString());
            if (e.Remote.ToIPAddress() is not null)
                w.WriteString("remote", e.Remote.ToString());
            switch (e.Type)
            {
                case MptcpEventType.Created or MptcpEventType.Established:
                    w.WriteBoolean("server_side", e.ServerSide);
                    break;
                case MptcpEventType.Announced or MptcpEventType.Removed:
                    w.WriteNumber("remote_id", e.RemoteId);
                    break;
                case MptcpEventType.SubflowEstablished or MptcpEventType.SubflowClosed or MptcpEventType.SubflowPriority:
                    w.WriteBoolean("backup", e.Backup);
                    break;
            }
        });
        foreach ((Socket client, BlockingCollection<string> queue) in _subscribers)
        {
            bool added;
            try
            {
                added = queue.TryAdd(line);
            }
            catch (InvalidOperationException)
            {
                continue; // completed meanwhile: the subscriber went away
            }
            if (!added)
            {
                // Too far behind: told so, and disconnected (it must subscribe again and re-read what it needs).
                _log.LogWarning("A control socket subscriber fell {Count} events behind and was disconnected.", SubscriberQueue);
                _subscribers.TryRemove(client, out _);
                queue.CompleteAdding();
            }
        }
    }

    /// <summary>Sends the subscriber's events until it goes away or falls too far behind.</summary>
    private void Stream(Socket client)
    {
        // Not disposed: the event thread may still hold it for a moment after the subscriber is gone.
        var queue = new BlockingCollection<string>(SubscriberQueue);
        _subscribers[client] = queue;
        // The client's half-close or disconnect is seen as a read of 0 bytes: watched on this thread's behalf.
        var gone = new Thread(() =>
        {
            var b = new byte[256];
            try
            {
                while (client.Receive(b) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            if (_subscribers.TryRemove(client, out _))
                queue.CompleteAdding();
        }) { IsBackground = true, Name = "mptcpd-control-watch" };
        gone.Start();
        foreach (string line in queue.GetConsumingEnumerable())
            Send(client, line);
        // The queue ended: the client went away, the daemon stops, or the subscriber fell too far behind.
        if (!_stopping && !gone.Join(0))
            Send(client, Answer(w => w.WriteString("event", "overflow")));
        _subscribers.TryRemove(client, out _);
    }

    private static string Answer(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Error(string message) => Answer(w =>
    {
        w.WriteBoolean("ok", false);
        w.WriteString("error", message);
    });

    private static void Send(Socket client, string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        int sent = 0;
        while (sent < bytes.Length)
            sent += client.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
    }

    /// <summary>Stops serving: the socket file goes, subscribers are disconnected.</summary>
    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        _pm.EventDelivered -= OnEvent;
        _listener.Dispose();
        foreach ((Socket _, BlockingCollection<string> queue) in _subscribers)
            queue.CompleteAdding();
        foreach (Socket client in _clients.Keys)
        {
            try
            {
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("Unable to remove the control socket {Path}: {Error}", _path, ex.Message);
        }
        _acceptor.Join(TimeSpan.FromSeconds(2));
    }
}
