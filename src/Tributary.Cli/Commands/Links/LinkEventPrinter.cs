using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tributary.Links;

namespace Tributary.Cli.Commands.Links;

/// <summary>
/// Prints monitor callbacks in the <c>tributary links</c> formats (DESIGN.md "Contracts"), one
/// flushed line per event:
/// <c>new_interface index=3 name=eth0 flags=UP,BROADCAST,RUNNING,MULTICAST</c>,
/// <c>new_address index=3 name=eth0 family=inet address=10.0.0.1</c>, or with --json
/// <c>{"event":…,"index":…,"name":…,"flags":&lt;IFF mask&gt;[,"family":"inet"|"inet6","address":…]}</c>.
/// </summary>
internal sealed class LinkEventPrinter(TextWriter output, bool json) : INetworkMonitorOps
{
    private readonly object _lock = new();
    private readonly System.Buffers.ArrayBufferWriter<byte> _line = new(256);

    public void NewInterface(InterfaceInfo info, object? userData) => Interface("new_interface", info);

    public void UpdateInterface(InterfaceInfo info, object? userData) => Interface("update_interface", info);

    public void DeleteInterface(InterfaceInfo info, object? userData) => Interface("delete_interface", info);

    public void NewAddress(InterfaceInfo info, IPAddress address, object? userData) => Address("new_address", info, address);

    public void DeleteAddress(InterfaceInfo info, IPAddress address, object? userData) => Address("delete_address", info, address);

    private void Interface(string evt, InterfaceInfo info)
    {
        string line = json
            ? Json(evt, info, null)
            : string.Create(CultureInfo.InvariantCulture, $"{evt} index={info.Index} name={info.Name} flags={InterfaceFlagsText.Format(info.Flags)}");
        Write(line);
    }

    private void Address(string evt, InterfaceInfo info, IPAddress address)
    {
        string line = json
            ? Json(evt, info, address)
            : string.Create(CultureInfo.InvariantCulture, $"{evt} index={info.Index} name={info.Name} family={FamilyName(address)} address={address}");
        Write(line);
    }

    private static string FamilyName(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork ? "inet" : "inet6";

    private string Json(string evt, InterfaceInfo info, IPAddress? address)
    {
        lock (_lock)
        {
            _line.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(_line))
            {
                w.WriteStartObject();
                w.WriteString("event", evt);
                w.WriteNumber("index", info.Index);
                w.WriteString("name", info.Name);
                w.WriteNumber("flags", (uint)info.Flags);
                if (address is not null)
                {
                    w.WriteString("family", FamilyName(address));
                    w.WriteString("address", address.ToString());
                }
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(_line.WrittenSpan);
        }
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

}
