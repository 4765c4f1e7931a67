namespace Tributary.Capture;

/// <summary>
/// Where packets come from: a capture file (<see cref="Files.CaptureFile.Open(string)"/>), standard
/// input, or a live interface (<see cref="Live.LiveCapture"/>). One reader at a time: a source is not
/// thread-safe, except <see cref="Stop"/>. Each <see cref="Packet"/> it returns is valid until the
/// next read or <see cref="Dispose()"/>.
/// </summary>
public abstract class PacketSource : IDisposable
{
    private bool _disposed;

    /// <summary>A name for messages: the file path, <c>-</c> for standard input, or the interface name.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The interfaces seen so far, indexed by <see cref="Packet.InterfaceId"/>. pcapng files add
    /// interfaces as their description blocks are read; pcap files and live capture have exactly one.
    /// </summary>
    public abstract IReadOnlyList<CaptureInterface> Interfaces { get; }

    /// <summary>Packets returned so far.</summary>
    public long PacketsRead { get; protected set; }

    /// <summary>True for a live interface (reads wait for packets; timestamps are the wall clock).</summary>
    public virtual bool IsLive => false;

    /// <summary>
    /// The next packet, waiting until one arrives (live) or the end of the input (files).
    /// Returns false at the end of the input or after <see cref="Stop"/>.
    /// </summary>
    /// <exception cref="CaptureFileException">The file is corrupt or truncated at <see cref="CaptureFileException.Offset"/>;
    /// every packet before that offset has been returned.</exception>
    /// <exception cref="Live.CaptureSystemException">A live capture failed (its interface went down or away); every
    /// packet before the failure has been returned.</exception>
    public abstract bool TryReadNext(out Packet packet);

    /// <summary>
    /// The next packet, waiting at most <paramref name="timeoutMilliseconds"/> (-1: forever, 0: poll)
    /// for a live source; a file never times out.
    /// </summary>
    public virtual PacketReadResult Read(out Packet packet, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TryReadNext(out packet) ? PacketReadResult.Packet : PacketReadResult.EndOfInput;
    }

    /// <summary>
    /// Ends a blocked or future read on a live source (which then reports <see cref="PacketReadResult.EndOfInput"/>);
    /// callable from any thread. A file source simply ends.
    /// </summary>
    public virtual void Stop()
    {
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose()"/>.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>True after <see cref="Dispose()"/>.</summary>
    protected bool IsDisposed => _disposed;
}
