namespace Tributary.Capture.Files;

/// <summary>Writes packets to a pcap or pcapng stream (<see cref="PcapWriter"/>, <see cref="PcapNgWriter"/>).</summary>
public abstract class CaptureWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private bool _disposed;

    private protected CaptureWriter(Stream stream, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Packets written.</summary>
    public long PacketsWritten { get; private protected set; }

    /// <summary>The underlying stream.</summary>
    private protected Stream Stream => _stream;

    /// <summary>Writes a packet read from any source (its data, lengths, timestamp, link type and interface).</summary>
    public void Write(in Packet packet) =>
        Write(packet.Data, packet.OriginalLength, packet.TimestampNanoseconds, packet.LinkType, packet.InterfaceId);

    /// <summary>Writes one packet.</summary>
    /// <param name="data">Captured bytes.</param>
    /// <param name="originalLength">Wire length (at least <c>data.Length</c>).</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch.</param>
    /// <param name="linkType">Link type of <paramref name="data"/>.</param>
    /// <param name="interfaceId">Source interface (pcapng keeps interfaces apart; pcap ignores it).</param>
    public abstract void Write(ReadOnlySpan<byte> data, int originalLength, long timestampNanoseconds, LinkType linkType, int interfaceId = 0);

    /// <summary>Flushes buffered bytes to the stream.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Flush();
    }

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stream.Flush();
        if (!_leaveOpen)
            _stream.Dispose();
        GC.SuppressFinalize(this);
    }
}
