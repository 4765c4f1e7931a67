using Microsoft.Win32.SafeHandles;

namespace Tributary.Capture.Internal;

/// <summary>
/// Where a capture file reader gets its bytes: a regular file read with positional reads
/// (RandomAccess: no seek state, and faster than a memory map here, reference/dotnet/FEASIBILITY.md §3.4),
/// or any stream (standard input, pipes).
/// </summary>
internal abstract class InputFeed : IDisposable
{
    /// <summary>Reads up to <c>buffer.Length</c> bytes; 0 only at the end of the input.</summary>
    public abstract int Read(Span<byte> buffer);

    /// <summary>True when <see cref="Read"/> normally fills the whole buffer (regular files).</summary>
    public abstract bool FillsBuffer { get; }

    /// <summary>Skips <paramref name="count"/> bytes; returns how many were skipped (fewer at the end of the input).</summary>
    public abstract long Skip(long count, Span<byte> scratch);

    public abstract void Dispose();

    /// <summary>Positional reads of <paramref name="handle"/> from <paramref name="offset"/> until <paramref name="buffer"/> is full or the file ends.</summary>
    protected static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n <= 0)
                break;
            total += n;
        }
        return total;
    }

    public static InputFeed ForFile(string path, bool memoryMap = false)
    {
        if (memoryMap && MappedFeed.TryMap(path) is { } mapped)
            return mapped;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 0, FileOptions.SequentialScan);
        // FIFOs and character devices (e.g. /dev/stdin) have no positions: read them as streams.
        return stream.CanSeek ? new FileFeed(stream) : new StreamFeed(stream, ownsStream: true);
    }
}

internal sealed class FileFeed(FileStream stream) : InputFeed
{
    private readonly SafeFileHandle _handle = stream.SafeFileHandle;
    private long _offset;

    public override bool FillsBuffer => true;

    public override int Read(Span<byte> buffer)
    {
        int total = ReadFully(_handle, buffer, _offset);
        _offset += total;
        return total;
    }

    public override long Skip(long count, Span<byte> scratch)
    {
        long length = RandomAccess.GetLength(_handle);
        long skipped = Math.Max(0, Math.Min(count, length - _offset));
        _offset += skipped;
        return skipped;
    }

    public override void Dispose() => stream.Dispose();
}

internal sealed class StreamFeed(Stream stream, bool ownsStream) : InputFeed
{
    public override bool FillsBuffer => false;

    public override int Read(Span<byte> buffer) => stream.Read(buffer);

    public override long Skip(long count, Span<byte> scratch)
    {
        long skipped = 0;
        while (skipped < count)
        {
            int n = stream.Read(scratch[..(int)Math.Min(scratch.Length, count - skipped)]);
            if (n <= 0)
                break;
            skipped += n;
        }
        return skipped;
    }

    public override void Dispose()
    {
        if (ownsStream)
            stream.Dispose();
    }
}

/// <summary>A feed whose first bytes (the magic read to detect the format) are replayed before the rest.</summary>
internal sealed class PrefixedFeed(InputFeed inner, byte[] prefix) : InputFeed
{
    private int _prefixPos;

    public override bool FillsBuffer => inner.FillsBuffer;

    public override int Read(Span<byte> buffer)
    {
        int n = 0;
        if (_prefixPos < prefix.Length)
        {
            n = Math.Min(buffer.Length, prefix.Length - _prefixPos);
            prefix.AsSpan(_prefixPos, n).CopyTo(buffer);
            _prefixPos += n;
            if (n == buffer.Length)
                return n;
        }
        return n + inner.Read(buffer[n..]);
    }

    public override long Skip(long count, Span<byte> scratch)
    {
        long fromPrefix = Math.Min(count, prefix.Length - _prefixPos);
        _prefixPos += (int)fromPrefix;
        return fromPrefix + (count > fromPrefix ? inner.Skip(count - fromPrefix, scratch) : 0);
    }

    public override void Dispose() => inner.Dispose();
}

/// <summary>
/// A regular file mapped private and copy-on-write (PROT_READ|PROT_WRITE, MAP_PRIVATE): packets are
/// spans into the mapping, and writing to them never reaches the file. Not pre-faulted (MAP_POPULATE
/// on a writable private map would copy every page); the kernel's fault-around maps page-cache pages
/// in 64 KiB steps and MADV_SEQUENTIAL drives read-ahead.
/// </summary>
internal sealed unsafe class MappedFeed : InputFeed
{
    private void* _address;

    private readonly SafeFileHandle _handle;

    private MappedFeed(void* address, long length, SafeFileHandle handle)
    {
        _address = address;
        Length = length;
        _handle = handle;
    }

    public byte* Start => (byte*)_address;

    public long Length { get; }

    public override bool FillsBuffer => true;

    /// <summary>Maps <paramref name="path"/>; null when it is not a non-empty regular file or cannot be mapped.</summary>
    public static MappedFeed? TryMap(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        if (!stream.CanSeek || stream.Length == 0)
        {
            stream.Dispose();
            return null;
        }
        long length = stream.Length;
        void* address = Interop.Libc.mmap(null, (nuint)length, Interop.Libc.PROT_READ | Interop.Libc.PROT_WRITE,
            Interop.Libc.MAP_PRIVATE, (int)stream.SafeFileHandle.DangerousGetHandle(), 0);
        if (address == (void*)-1)
        {
            stream.Dispose();
            return null;
        }
        // Measured on the big capture: pre-faulting (MAP_POPULATE on a read-only map then mprotect, or
        // MADV_POPULATE_READ) was slower than fault-around here.
        Interop.Libc.madvise(address, (nuint)length, Interop.Libc.MADV_SEQUENTIAL);
        return new MappedFeed(address, length, stream.SafeFileHandle); // the descriptor stays open for ReadAt
    }

    /// <summary>Copies the file's bytes at <paramref name="offset"/> with positional reads (the length the file had when mapped).</summary>
    public int ReadAt(long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_address is null, this);
        long limit = Math.Max(0, Length - offset);
        return ReadFully(_handle, destination.Length > limit ? destination[..(int)limit] : destination, offset);
    }

    /// <summary>
    /// Takes the page faults of [offset, offset + length) now by reading a byte of each page (the kernel's fault-around
    /// maps the neighbouring pages in the same fault, so most reads are plain loads). Measured cheaper than
    /// MADV_POPULATE_READ, whose get_user_pages walk cost half again as much kernel time as the faults. False when
    /// nothing of the range is mapped.
    /// </summary>
    public bool Populate(long offset, long length)
    {
        if (_address is null || offset >= Length || length <= 0 || offset < 0)
            return false;
        long end = Math.Min(Length, offset + length);
        byte* b = (byte*)_address;
        int sum = 0;
        for (long o = offset & ~(PageSize - 1); o < end; o += PageSize)
            sum += Volatile.Read(ref b[o]);
        GC.KeepAlive(sum);
        return true;
    }

    private const long PageSize = 4096;

    /// <summary>
    /// Drops the page-table entries of the whole pages inside [<paramref name="offset"/>, <paramref name="offset"/> +
    /// <paramref name="length"/>) (MADV_DONTNEED; a later access faults the pages in again from the page cache, so
    /// nothing breaks if they are touched after all); any thread, any number at once.
    /// </summary>
    public void Release(long offset, long length)
    {
        long start = Math.Max(0, offset + PageSize - 1) & ~(PageSize - 1);
        long end = Math.Min(Length, offset + length) & ~(PageSize - 1);
        if (_address is null || end <= start)
            return;
        Interop.Libc.madvise((byte*)_address + start, (nuint)(end - start), Interop.Libc.MADV_DONTNEED);
    }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("a mapped file is not read");

    public override long Skip(long count, Span<byte> scratch) => throw new NotSupportedException("a mapped file is not read");

    public override void Dispose()
    {
        if (_address is not null)
        {
            Interop.Libc.munmap(_address, (nuint)Length);
            _address = null;
            _handle.Dispose();
        }
    }
}
