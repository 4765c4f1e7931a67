namespace Tributary.Capture;

/// <summary>
/// An interface of a capture: pcapng's Interface Description Block, the pcap file header, or the
/// live interface.
/// </summary>
/// <param name="Id">Index in <see cref="PacketSource.Interfaces"/> (= <see cref="Packet.InterfaceId"/>).</param>
/// <param name="LinkType">Link-layer header type of its packets.</param>
/// <param name="SnapLength">Snapshot length (0 = unlimited).</param>
/// <param name="Name">if_name, or the live interface name; null when the file does not say.</param>
/// <param name="Description">if_description; null when absent.</param>
/// <param name="TimestampResolution">Timestamp units per second as recorded (1e6 for µs pcap, 1e9 for ns pcap, pcapng if_tsresol).</param>
/// <param name="Section">pcapng section number (0 for pcap and live).</param>
public sealed record CaptureInterface(int Id, LinkType LinkType, int SnapLength, string? Name, string? Description,
    ulong TimestampResolution, int Section = 0);
