using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows;

/// <summary>An <see cref="IFrameSource"/> over the packet layer's capture-file readers (pcap, pcapng, standard input).</summary>
public sealed class CaptureFrameSource : IFrameSource
{
    private readonly PacketSource _source;

    public CaptureFrameSource(PacketSource source) => _source = source;

    /// <summary>Opens a capture file ("-" = standard input), read through a buffer (<see cref="CaptureFileOptions.MemoryMap"/> off).</summary>
    public static CaptureFrameSource Open(string path) => new(CaptureFile.Open(path));

    public PacketSource Source => _source;

    public bool IsLive => _source.IsLive;

    /// <summary>The capture time of the frame last read, in full resolution (<see cref="Read"/> gives microseconds).</summary>
    public long TimestampNanoseconds { get; private set; }

    public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength) =>
        TryRead(out frame, out linkType, out timestampMicroseconds, out wireLength, out _);

    public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength, out PacketFlags flags) =>
        Read(out frame, out linkType, out timestampMicroseconds, out wireLength, out flags, -1) == PacketReadResult.Packet;

    /// <summary>
    /// The next frame, waiting at most <paramref name="timeoutMilliseconds"/> (-1: until one comes) on a live source, so
    /// that a live reader can let time pass while the link is quiet; a file never times out.
    /// </summary>
    public PacketReadResult Read(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength,
        out PacketFlags flags, int timeoutMilliseconds)
    {
        PacketReadResult result = _source.Read(out Packet p, timeoutMilliseconds);
        if (result != PacketReadResult.Packet)
        {
            frame = default;
            linkType = 0;
            timestampMicroseconds = 0;
            wireLength = 0;
            flags = PacketFlags.None;
            return result;
        }
        flags = p.Flags;
        frame = p.Data;
        TimestampNanoseconds = p.TimestampNanoseconds;
        linkType = (int)p.LinkType;
        // TRACER §5: capture time with microsecond resolution, nanoseconds truncated.
        timestampMicroseconds = p.TimestampNanoseconds >= 0 ? p.TimestampNanoseconds / 1000 : -((-p.TimestampNanoseconds + 999) / 1000);
        wireLength = p.OriginalLength;
        return PacketReadResult.Packet;
    }

    public void Dispose() => _source.Dispose();
}
