namespace Tributary.Capture;

/// <summary>
/// One captured packet, zero-copy: <see cref="Data"/> points into the source's buffer (file read
/// buffer or the live ring) and stays valid only until the next read from the same source or its
/// disposal. Copy the bytes to keep them longer.
/// </summary>
public readonly ref struct Packet
{
    private readonly Span<byte> _data;

    /// <summary>Creates a packet record (sources and tests; the span is not copied).</summary>
    public Packet(Span<byte> data, int originalLength, long timestampNanoseconds, LinkType linkType,
        int interfaceId = 0, long fileOffset = -1, long number = 0, PacketFlags flags = PacketFlags.None)
    {
        Flags = flags;
        _data = data;
        OriginalLength = originalLength;
        TimestampNanoseconds = timestampNanoseconds;
        LinkType = linkType;
        InterfaceId = interfaceId;
        FileOffset = fileOffset;
        Number = number;
    }

    /// <summary>The captured bytes, starting with the link-layer header of <see cref="LinkType"/>.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>
    /// The same bytes, writable: the source's own buffer, for in-place rewriting before forwarding
    /// (inline mode). Writing never affects the file on disk or other packets.
    /// </summary>
    public Span<byte> WritableData => _data;

    /// <summary>Bytes captured (caplen): <c>Data.Length</c>.</summary>
    public int CapturedLength => _data.Length;

    /// <summary>Length of the packet on the wire (len); larger than <see cref="CapturedLength"/> when the snapshot length cut it.</summary>
    public int OriginalLength { get; }

    /// <summary>
    /// Capture time in nanoseconds since the Unix epoch (UTC), at the precision the source records. A
    /// (corrupt) file time beyond the year 2262 does not fit and wraps.
    /// </summary>
    public long TimestampNanoseconds { get; }

    /// <summary>Capture time as a <see cref="DateTime"/> (UTC, 100 ns precision).</summary>
    public DateTime Timestamp => DateTime.UnixEpoch.AddTicks(TimestampNanoseconds / TimeSpan.NanosecondsPerTick);

    /// <summary>Link-layer header type of <see cref="Data"/>.</summary>
    public LinkType LinkType { get; }

    /// <summary>
    /// The interface the packet was captured on: the index into <see cref="PacketSource.Interfaces"/>
    /// (pcapng interface, counted across sections; 0 for pcap and live capture).
    /// </summary>
    public int InterfaceId { get; }

    /// <summary>Byte offset of the packet's record (block) in the capture file; -1 for live packets.</summary>
    public long FileOffset { get; }

    /// <summary>1-based ordinal of the packet in its source (tshark's <c>frame.number</c>).</summary>
    public long Number { get; }

    /// <summary>Direction, offload and tag information from a live source; <see cref="PacketFlags.None"/> for files.</summary>
    public PacketFlags Flags { get; }

    /// <summary>
    /// The segment size of a super-frame (a sender's TSO/GSO frame, or a GRO merge): the payload bytes per wire segment
    /// or datagram, as the kernel reports it to a live source asked for it (<see cref="Live.LiveCaptureOptions.SegmentSizes"/>);
    /// 0 for other frames and sources.
    /// </summary>
    public ushort SegmentSize { get; init; }

    /// <summary>True when the snapshot length cut the packet (<c>CapturedLength &lt; OriginalLength</c>).</summary>
    public bool IsTruncated => _data.Length < OriginalLength;
}
