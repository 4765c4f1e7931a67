namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>
/// Plugin operations that build the plugin's view of the connections from its callbacks (token →
/// established, joined subflows) and record every callback that contradicts that view: a new
/// connection already known, an event of an unknown token, a second established, a subflow added
/// twice or closed unknown. Thread-safe (read from the test thread while the event thread writes).
/// </summary>
internal sealed class ConnectionView : IMptcpPluginOps
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Entry> _connections = [];
    private readonly List<string> _violations = [];
    private readonly List<string> _calls = [];

    /// <summary>Whether a subflow_closed of a subflow not known (a failed join) counts as a contradiction.</summary>
    public bool AllowUnknownSubflowClose { get; init; }

    public sealed record Entry(bool Established, IReadOnlySet<(MptcpAddress Local, MptcpAddress Remote)> Joined);

    public IReadOnlyDictionary<uint, Entry> Connections
    {
        get
        {
            lock (_lock)
                return _connections.ToDictionary(kv => kv.Key, kv => kv.Value with { Joined = kv.Value.Joined.ToHashSet() });
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
                return [.. _violations];
        }
    }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
                return [.. _calls];
        }
    }

    private void Call(string text) => _calls.Add(text);

    public void NewConnection(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
        lock (_lock)
        {
            Call($"new_connection {token:x8} {local} {remote}{(serverSide ? " server" : "")}");
            if (!_connections.TryAdd(token, new Entry(false, new HashSet<(MptcpAddress, MptcpAddress)>())))
                _violations.Add($"new_connection of known token {token:x8}");
        }
    }

    public void ConnectionEstablished(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm)
    {
        lock (_lock)
        {
            Call($"connection_established {token:x8}");
            if (!_connections.TryGetValue(token, out Entry? e))
                _violations.Add($"connection_established of unknown token {token:x8}");
            else if (e.Established)
                _violations.Add($"second connection_established of {token:x8}");
            else
                _connections[token] = e with { Established = true };
        }
    }

    public void ConnectionClosed(uint token, PathManager pm)
    {
        lock (_lock)
        {
            Call($"connection_closed {token:x8}");
            if (!_connections.Remove(token))
                _violations.Add($"connection_closed of unknown token {token:x8}");
        }
    }

    public void NewSubflow(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
        lock (_lock)
        {
            Call($"new_subflow {token:x8} {local} {remote}");
            if (!_connections.TryGetValue(token, out Entry? e))
                _violations.Add($"new_subflow of unknown token {token:x8}");
            else if (!((HashSet<(MptcpAddress, MptcpAddress)>)e.Joined).Add((local, remote)))
                _violations.Add($"new_subflow {local} {remote} twice on {token:x8}");
        }
    }

    public void SubflowClosed(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm)
    {
        lock (_lock)
        {
            Call($"subflow_closed {token:x8} {local} {remote}");
            if (!_connections.TryGetValue(token, out Entry? e))
                _violations.Add($"subflow_closed of unknown token {token:x8}");
            else if (!((HashSet<(MptcpAddress, MptcpAddress)>)e.Joined).Remove((local, remote)) && !AllowUnknownSubflowClose)
                _violations.Add($"subflow_closed of unknown subflow {local} {remote} on {token:x8}");
        }
    }
}
