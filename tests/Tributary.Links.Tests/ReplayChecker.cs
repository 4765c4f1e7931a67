using System.Net;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// Replays callbacks over a model of the monitor's known state and records every contradictory
/// callback (DESIGN.md "Links": deleting something not in the known state, or adding something
/// already in it — which also covers duplicates), so a test can compare the model with the kernel.
/// </summary>
internal sealed class ReplayChecker : INetworkMonitorOps
{
    private readonly object _lock = new();
    private readonly Dictionary<int, (string Name, HashSet<IPAddress> Addresses)> _model = [];
    private readonly List<string> _violations = [];
    private long _callbacks;
    private long _lastCallbackTicks = Environment.TickCount64;

    public long Callbacks => Interlocked.Read(ref _callbacks);

    /// <summary>Milliseconds since the last callback.</summary>
    public long IdleMilliseconds => Environment.TickCount64 - Interlocked.Read(ref _lastCallbackTicks);

    public List<string> Violations
    {
        get
        {
            lock (_lock)
                return [.. _violations];
        }
    }

    /// <summary>Seeds the model with the monitor's current state (call while nothing changes).</summary>
    public void Seed(NetworkMonitor monitor)
    {
        lock (_lock)
        {
            monitor.ForEachInterface((i, _) => _model[i.Index] = (i.Name, [.. i.Addresses]));
        }
    }

    /// <summary>The model as sorted "name addr addr …" lines.</summary>
    public List<string> State()
    {
        lock (_lock)
            return Format(_model.Values.Select(v => (v.Name, (IEnumerable<IPAddress>)v.Addresses)));
    }

    public static List<string> Format(IEnumerable<(string Name, IEnumerable<IPAddress> Addresses)> links) =>
        [.. links.Select(l => $"{l.Name} {string.Join(' ', l.Addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal))}".TrimEnd())
            .Order(StringComparer.Ordinal)];

    public void NewInterface(InterfaceInfo info, object? userData)
    {
        Touch();
        lock (_lock)
        {
            if (!_model.TryAdd(info.Index, (info.Name, [])))
                _violations.Add($"new_interface {info.Name}: already known");
        }
    }

    public void UpdateInterface(InterfaceInfo info, object? userData)
    {
        Touch();
        lock (_lock)
        {
            if (!_model.ContainsKey(info.Index))
                _violations.Add($"update_interface {info.Name}: unknown interface");
        }
    }

    public void DeleteInterface(InterfaceInfo info, object? userData)
    {
        Touch();
        lock (_lock)
        {
            if (!_model.Remove(info.Index))
                _violations.Add($"delete_interface {info.Name}: unknown interface");
        }
    }

    public void NewAddress(InterfaceInfo info, IPAddress address, object? userData)
    {
        Touch();
        lock (_lock)
        {
            if (!_model.TryGetValue(info.Index, out var link))
                _violations.Add($"new_address {info.Name} {address}: unknown interface");
            else if (!link.Addresses.Add(address))
                _violations.Add($"new_address {info.Name} {address}: already known");
        }
    }

    public void DeleteAddress(InterfaceInfo info, IPAddress address, object? userData)
    {
        Touch();
        lock (_lock)
        {
            if (!_model.TryGetValue(info.Index, out var link))
                _violations.Add($"delete_address {info.Name} {address}: unknown interface");
            else if (!link.Addresses.Remove(address))
                _violations.Add($"delete_address {info.Name} {address}: not known");
        }
    }

    private void Touch()
    {
        Interlocked.Increment(ref _callbacks);
        Interlocked.Exchange(ref _lastCallbackTicks, Environment.TickCount64);
    }
}
