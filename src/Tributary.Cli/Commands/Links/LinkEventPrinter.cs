using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tributary.Links;

namespace Tributary.Cli.Commands.Links;

/// <summary>
/// Prints monitor callbacks in the <c>tributary links</c> formats (DESIGN.md "Contracts"), one line
/// per event, as UTF-8 into a buffered stream that is flushed whenever the monitor has caught up with
/// the kernel (<see cref="Flush"/> on <see cref="NetworkMonitor.Idle"/>), so a burst costs one write
/// and a lone event is shown at once:
/// <c>new_interface index=3 name=eth0 flags=UP,BROADCAST,RUNNING,MULTICAST</c>,
/// <c>new_address index=3 name=eth0 family=inet address=10.0.0.1</c>, or with --json
/// <c>{"event":…,"index":…,"name":…,"flags":&lt;IFF mask&gt;[,"family":"inet"|"inet6","address":…,"address_flags":&lt;IFA_F mask&gt;]}</c>.
/// </summary>
internal sealed class LinkEventPrinter(Stream output, bool json) : INetworkMonitorOps
{
    private readonly object _lock = new();
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private Utf8JsonWriter? _json;

    public void NewInterface(InterfaceInfo info, object? userData) => Print("new_interface", info, null, default);

    public void UpdateInterface(InterfaceInfo info, object? userData) => Print("update_interface", info, null, default);

    public void DeleteInterface(InterfaceInfo info, object? userData) => Print("delete_interface", info, null, default);

    public void NewAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) => Print("new_address", info, address, flags);

    public void DeleteAddress(InterfaceInfo info, IPAddress address, AddressFlags flags, object? userData) => Print("delete_address", info, address, flags);

    /// <summary>Writes out what is buffered.</summary>
    public void Flush()
    {
        lock (_lock)
            output.Flush();
    }

    private void Print(string evt, InterfaceInfo info, IPAddress? address, AddressFlags addressFlags)
    {
        lock (_lock)
        {
            _line.ResetWrittenCount();
            if (json)
                WriteJson(evt, info, address, addressFlags);
            else
                WriteText(evt, info, address);
            _line.GetSpan(1)[0] = (byte)'\n';
            _line.Advance(1);
            output.Write(_line.WrittenSpan);
        }
    }

    private void WriteJson(string evt, InterfaceInfo info, IPAddress? address, AddressFlags addressFlags)
    {
        Utf8JsonWriter w = _json ??= new Utf8JsonWriter(_line);
        w.Reset(_line);
        w.WriteStartObject();
        w.WriteString("event"u8, evt);
        w.WriteNumber("index"u8, info.Index);
        w.WriteString("name"u8, info.Name);
        w.WriteNumber("flags"u8, (uint)info.Flags);
        if (address is not null)
        {
            w.WriteString("family"u8, FamilyName(address));
            Span<char> text = stackalloc char[64];
            address.TryFormat(text, out int n);
            w.WriteString("address"u8, text[..n]);
            w.WriteNumber("address_flags"u8, (uint)addressFlags);
        }
        w.WriteEndObject();
        w.Flush();
    }

    private void WriteText(string evt, InterfaceInfo info, IPAddress? address)
    {
        string line = address is null
            ? string.Create(CultureInfo.InvariantCulture, $"{evt} index={info.Index} name={info.Name} flags={InterfaceFlagsText.Format(info.Flags)}")
            : string.Create(CultureInfo.InvariantCulture, $"{evt} index={info.Index} name={info.Name} family={FamilyName(address)} address={address}");
        int n = Encoding.UTF8.GetByteCount(line);
        Encoding.UTF8.GetBytes(line, _line.GetSpan(n));
        _line.Advance(n);
    }

    private static string FamilyName(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork ? "inet" : "inet6";
}
