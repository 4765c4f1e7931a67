using System.Net;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>Records callbacks as compact lines ("new_address br0 10.0.0.1"), with the user data checked.</summary>
internal sealed class RecordingOps(object? expectedUserData = null) : INetworkMonitorOps
{
    private readonly List<string> _lines = [];
    private readonly Dictionary<string, AddressFlags> _addressFlags = [];

    public List<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public int WrongUserData { get; private set; }

    public void NewInterface(InterfaceInfo info, object? userData) => Add(userData, $"new_interface {info.Name}");

    public void UpdateInterface(InterfaceInfo info, object? userData) => Add(userData, $"update_interface {info.Name}");

    public void DeleteInterface(InterfaceInfo info, object? userData) => Add(userData, $"delete_interface {info.Name}");

    public void NewAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) =>
        Add(userData, $"new_address {info.Name} {address}", flags);

    public void DeleteAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) =>
        Add(userData, $"delete_address {info.Name} {address}", flags);

    /// <summary>The IFA_F_* flags the last callback with this line carried.</summary>
    public AddressFlags FlagsOf(string line)
    {
        lock (_lines)
            return _addressFlags[line];
    }

    private void Add(object? userData, string line, AddressFlags? flags = null)
    {
        if (!ReferenceEquals(userData, expectedUserData))
            WrongUserData++;
        lock (_lines)
        {
            _lines.Add(line);
            if (flags is { } f)
                _addressFlags[line] = f;
            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> lines, then until nothing more arrives for <paramref name="quiet"/>.</summary>
    public List<string> WaitFor(int count, TimeSpan? quiet = null)
    {
        var deadline = DateTime.UtcNow + TaskTimeouts.Default;
        lock (_lines)
        {
            while (_lines.Count < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"expected {count} callbacks, got {_lines.Count}: [{string.Join("; ", _lines)}]");
                Monitor.Wait(_lines, left);
            }
            TimeSpan q = quiet ?? TimeSpan.FromMilliseconds(300);
            int seen;
            do
            {
                seen = _lines.Count;
                Monitor.Wait(_lines, q);
            }
            while (_lines.Count != seen);
            return [.. _lines];
        }
    }

    /// <summary>Asserts that nothing arrives for a while and returns what was recorded.</summary>
    public List<string> Quiet(TimeSpan? quiet = null) => WaitFor(0, quiet);

    public void Clear()
    {
        lock (_lines)
            _lines.Clear();
            _addressFlags.Clear();
    }
}
