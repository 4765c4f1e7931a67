using System.Buffers.Binary;

namespace Tributary.Capture.Files;

/// <summary>
/// Writes classic pcap (little-endian, version 2.4) with microsecond or nanosecond timestamps and one
/// link type, as tcpdump -w does.
/// </summary>
public sealed class PcapWriter : CaptureWriter
{
    private readonly bool _nanoseconds;
    private readonly LinkType _linkType;
    private readonly byte[] _header = new byte[PcapFormat.RecordHeaderSize];

    /// <summary>Starts a pcap stream: writes the file header.</summary>
    public PcapWriter(Stream stream, LinkType linkType, int snapLength = PcapFormat.MaximumSnapLength, bool nanoseconds = false, bool leaveOpen = false)
        : base(stream, leaveOpen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _nanoseconds = nanoseconds;
        _linkType = linkType;
        SnapLength = snapLength;
        Span<byte> h = stackalloc byte[PcapFormat.FileHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(h, nanoseconds ? PcapFormat.MagicNanoseconds : PcapFormat.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], PcapFormat.VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], PcapFormat.VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);      // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);    // sigfigs
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)linkType);
        Stream.Write(h);
    }

    /// <summary>Creates (or replaces) a pcap file.</summary>
    public static PcapWriter Create(string path, LinkType linkType, int snapLength = PcapFormat.MaximumSnapLength, bool nanoseconds = false) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), linkType, snapLength, nanoseconds);

    /// <summary>The snapshot length in the header; longer packets are cut to it.</summary>
    public int SnapLength { get; }

    /// <summary>Writes one packet; its link type must be the file's.</summary>
    /// <exception cref="ArgumentException">Another link type (pcap holds one; use <see cref="PcapNgWriter"/>).</exception>
    public override void Write(ReadOnlySpan<byte> data, int originalLength, long timestampNanoseconds, LinkType linkType, int interfaceId = 0)
    {
        ThrowIfDisposed();
        if (linkType != _linkType)
            throw new ArgumentException($"pcap file has link type {LinkTypeNames.GetName(_linkType)}, packet is {LinkTypeNames.GetName(linkType)}", nameof(linkType));
        if (data.Length > SnapLength)
            data = data[..SnapLength];
        long seconds = Math.DivRem(timestampNanoseconds, 1_000_000_000L, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000L;
        }
        Span<byte> h = _header;
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(_nanoseconds ? fraction : fraction / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)Math.Max(originalLength, data.Length));
        Stream.Write(h);
        Stream.Write(data);
        PacketsWritten++;
    }
}
