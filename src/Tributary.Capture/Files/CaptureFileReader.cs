using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tributary.Capture.Internal;

namespace Tributary.Capture.Files;

/// <summary>
/// A pcap or pcapng reader (<see cref="CaptureFile.Open(string)"/>). Reads the input in large chunks
/// into one pinned buffer and hands out packets as spans into it: no copy and no allocation per
/// packet. Files larger than 2 GB are fine (offsets are 64-bit; only one record must fit the buffer).
/// </summary>
public abstract unsafe class CaptureFileReader : PacketSource
{
    /// <summary>Default read buffer: large enough to amortise the read calls, small enough to stay in L2/L3.</summary>
    internal const int DefaultBufferSize = 1 << 20;

    /// <summary>Largest record or block loaded into memory (a packet block; other blocks are skipped unread).</summary>
    internal const int MaxRecordSize = 16 << 20;

    private readonly InputFeed _feed;
    private readonly string _name;
    private byte[] _buffer;
    private bool _eof;

    /// <summary>Start of the pinned buffer.</summary>
    private protected byte* _base;

    /// <summary>Read position in the buffer.</summary>
    private protected int _pos;

    /// <summary>End of valid data in the buffer.</summary>
    private protected int _end;

    /// <summary>Input offset of <c>_buffer[0]</c>.</summary>
    private protected long _bufferOffset;

    private protected CaptureFileReader(InputFeed feed, string name, int bufferSize)
    {
        _feed = feed;
        _name = name;
        if (feed is MappedFeed mapped)
        {
            // Memory-mapped: the "buffer" is a window sliding over the mapping; nothing is copied.
            _mapped = mapped;
            _buffer = [];
            _base = mapped.Start;
            _end = (int)Math.Min(mapped.Length, MappedWindow);
            _eof = _end == mapped.Length;
            return;
        }
        _buffer = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
        _base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
    }

    /// <summary>Bytes of a mapping addressed at once (offsets within the window are ints).</summary>
    private const int MappedWindow = 1 << 30;

    private readonly MappedFeed? _mapped;

    /// <summary>Start of the whole mapping (null when the file is read, or after disposal): for readers with cursors of their own.</summary>
    private protected byte* MappedStart => _mapped is null ? null : _mapped.Start;

    /// <summary>True when the file is memory-mapped rather than read.</summary>
    public bool IsMemoryMapped => _mapped is not null;

    /// <summary>Length of the input in bytes when it is memory-mapped; otherwise -1.</summary>
    public long MappedLength => _mapped?.Length ?? -1;

    /// <summary>
    /// For a memory-mapped file: takes the page faults of the input bytes [<paramref name="offset"/>,
    /// <paramref name="offset"/> + <paramref name="length"/>) now, so that the thread reading them later finds
    /// them mapped. Safe to call from another thread while this reader reads (it only reads the mapping), never
    /// after the reader is disposed. False when the file is not mapped or the range starts past its end.
    /// </summary>
    public bool PopulateAhead(long offset, long length) => _mapped?.Populate(offset, length) ?? false;

    /// <summary>
    /// For a memory-mapped file: tells the kernel that the whole pages inside [<paramref name="offset"/>,
    /// <paramref name="offset"/> + <paramref name="length"/>) will not be read again, dropping their page-table
    /// entries (a later access still works: it faults them in again). Tearing a large mapping down costs about as
    /// much as faulting it in: this lets other threads take that cost while the reader reads on, or threads that read
    /// parts of one mapping (<see cref="PcapReader.TryReadAt"/>, <see cref="PcapNgReader.TryReadAt"/>) tear their
    /// parts down in parallel. Safe from any number of threads at once, never after the reader is disposed.
    /// </summary>
    public void Release(long offset, long length) => _mapped?.Release(offset, length);

    /// <summary>
    /// For a memory-mapped file: copies the input bytes from <paramref name="offset"/> into <paramref name="destination"/>
    /// with positional reads of the file, not through the mapping (on a virtual machine the first touch of each mapped
    /// page can cost a microsecond; the kernel copies from the page cache through its own large pages). Safe from any
    /// number of threads at once. Returns the bytes copied, fewer than asked only at the end of the file.
    /// </summary>
    internal int ReadAt(long offset, Span<byte> destination)
    {
        ThrowIfDisposed();
        if (_mapped is null)
            throw new NotSupportedException("positional reads need a memory-mapped file");
        try
        {
            return _mapped.ReadAt(offset, destination);
        }
        catch (IOException ex)
        {
            throw new CaptureFileException(_name, offset, $"read failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// For a memory-mapped file: starts loading the record (or block) header at <paramref name="offset"/> and the
    /// frame headers behind it into the cache, for cursors that jump between records (never faults; nothing when the
    /// file is not mapped or the offset is past its end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchRecord(long offset)
    {
        byte* start = MappedStart;
        if (start == null || !System.Runtime.Intrinsics.X86.Sse.IsSupported || (ulong)offset >= (ulong)MappedLength)
            return;
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset + 64);
    }

    /// <summary>For cursors of one's own: throws unless the reader is open and <paramref name="supported"/> (the format's <c>SupportsRandomAccess</c>).</summary>
    private protected void ThrowIfNoRandomAccess(bool supported)
    {
        ThrowIfDisposed();
        if (!supported)
            throw new NotSupportedException("random access needs a memory-mapped file that reading does not rewrite (SupportsRandomAccess)");
    }

    /// <summary>Bytes ahead of the read position at which every cache line is prefetched (see <see cref="Prefetch"/>).</summary>
    private const int PrefetchDistance = 2048;

    /// <summary>
    /// Prefetches for the record loop, which is bound by the latency of each record header (the next record's
    /// position depends on this one's length, so the loads form a chain): the next record's header and the frame
    /// headers behind it (two lines), and every line of the input <see cref="PrefetchDistance"/> bytes ahead of the
    /// bytes just consumed, so that the headers of the records after it are in cache whatever their sizes. Never faults.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static void Prefetch(byte* record, byte* next)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
            return;
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(next);
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(next + 64);
        byte* end = next + PrefetchDistance;
        for (byte* line = (byte*)(((nint)record + PrefetchDistance + 63) & ~(nint)63); line < end; line += 64)
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(line);
    }

    /// <summary>Slides the mapped window to start at <c>_pos</c>.</summary>
    private bool SlideWindow(long count)
    {
        _bufferOffset += _pos;
        _base += _pos;
        _pos = 0;
        long remaining = _mapped!.Length - _bufferOffset;
        _end = (int)Math.Min(remaining, MappedWindow);
        _eof = _end == remaining;
        return _end >= count;
    }

    /// <summary>The file path, or <c>-</c> for standard input.</summary>
    public override string Name => _name;

    /// <summary>The file's format.</summary>
    public abstract CaptureFileFormat Format { get; }

    /// <summary>Byte offset in the input of the next record to be read.</summary>
    public long Position => _bufferOffset + _pos;

    /// <summary>
    /// Moves the reader forward to <paramref name="offset"/>, which must be where a record (or block) starts, without
    /// reading what lies before it (a file that is read is not read there at all). For resuming at a place that
    /// cursors (<see cref="PcapReader.TryReadAt"/>, <see cref="PcapNgReader.TryReadAt"/>) have found: the reader's
    /// state (a pcapng section's interfaces) must hold there. False when the input ends first.
    /// </summary>
    internal bool SkipTo(long offset)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(offset, Position);
        return Skip(offset - Position);
    }

    /// <summary>A <see cref="CaptureFileException"/> for the record at <paramref name="offset"/>.</summary>
    private protected CaptureFileException Corrupt(long offset, string reason) => new(_name, offset, reason);

    /// <summary>
    /// Makes at least <paramref name="count"/> bytes available at <c>_pos</c>, moving the unread tail
    /// to the front and refilling (growing the buffer for a record larger than it). False when the
    /// input ends first; then <c>_end - _pos</c> bytes remain.
    /// </summary>
    private protected bool Ensure(int count)
    {
        if (_end - _pos >= count)
            return true;
        if (_eof)
            return false;
        ThrowIfDisposed();
        if (_mapped is not null)
            return SlideWindow(count);
        int remaining = _end - _pos;
        if (count > _buffer.Length)
            Grow(count);
        else if (_pos > 0)
        {
            Buffer.MemoryCopy(_base + _pos, _base, _buffer.Length, remaining);
        }
        _bufferOffset += _pos;
        _pos = 0;
        _end = remaining;
        while (_end < count)
        {
            // Regular files fill the whole buffer per call; streams (pipes) return what is there, and
            // we wait only for what this record needs so that a live `tcpdump -w -` is not delayed.
            int n;
            try
            {
                n = _feed.Read(new Span<byte>(_base + _end, _buffer.Length - _end));
            }
            catch (IOException ex)
            {
                throw new CaptureFileException(_name, _bufferOffset + _end, $"read failed: {ex.Message}", ex);
            }
            if (n <= 0)
            {
                _eof = true;
                return false;
            }
            _end += n;
        }
        return true;
    }

    /// <summary>Skips <paramref name="count"/> bytes from <c>_pos</c> without loading them; false when the input ends first.</summary>
    private protected bool Skip(long count)
    {
        long buffered = _end - _pos;
        if (count <= buffered)
        {
            _pos += (int)count;
            return true;
        }
        long rest = count - buffered;
        if (_mapped is not null)
        {
            long wanted = _bufferOffset + _pos + count;
            long target = Math.Min(wanted, _mapped.Length);
            _base += target - _bufferOffset;
            _bufferOffset = target;
            _pos = 0;
            long remaining = _mapped.Length - target;
            _end = (int)Math.Min(remaining, MappedWindow);
            _eof = _end == remaining;
            return wanted <= _mapped.Length;
        }
        _bufferOffset += _end;
        _pos = 0;
        _end = 0;
        long skipped = _eof ? 0 : _feed.Skip(rest, _buffer);
        _bufferOffset += skipped;
        if (skipped < rest)
        {
            _eof = true;
            return false;
        }
        return true;
    }

    private void Grow(int count)
    {
        int size = _buffer.Length;
        while (size < count)
            size *= 2;
        byte[] bigger = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        byte* b = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(bigger));
        Buffer.MemoryCopy(_base + _pos, b, size, _end - _pos);
        _buffer = bigger;
        _base = b;
        _end -= _pos;
        _bufferOffset += _pos;
        _pos = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _feed.Dispose();
        base.Dispose(disposing);
    }
}
