namespace Tributary.Capture.Files;

/// <summary>Capture file formats this layer reads and writes.</summary>
public enum CaptureFileFormat
{
    /// <summary>Classic libpcap format, microsecond timestamps (magic a1b2c3d4).</summary>
    Pcap,

    /// <summary>Classic libpcap format, nanosecond timestamps (magic a1b23c4d).</summary>
    PcapNanosecond,

    /// <summary>pcapng (draft-ietf-opsawg-pcapng): sections, several interfaces and link types.</summary>
    PcapNg,
}
