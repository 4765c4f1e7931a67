using System.Runtime.InteropServices;

namespace Tributary.Flows.Tests.Support;

/// <summary>
/// A buffer whose last byte sits right before an inaccessible page (mmap + mprotect PROT_NONE): a decoder that
/// reads one byte past a frame placed at the end crashes the test run instead of reading neighbouring memory.
/// </summary>
internal sealed unsafe partial class GuardedBuffer : IDisposable
{
    private const int PageSize = 4096;
    private readonly byte* _base;
    private readonly nuint _length;

    public GuardedBuffer(int pages = 16)
    {
        _length = (nuint)((pages + 1) * PageSize);
        _base = (byte*)mmap(null, _length, 3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
        if (_base == (byte*)-1)
            throw new InvalidOperationException("mmap failed");
        if (mprotect(_base + pages * PageSize, PageSize, 0) != 0)
            throw new InvalidOperationException("mprotect failed");
        Capacity = pages * PageSize;
    }

    public int Capacity { get; }

    /// <summary>Copies <paramref name="frame"/> so that it ends exactly at the guard page; the span aliases the buffer.</summary>
    public Span<byte> Place(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > Capacity)
            frame = frame[..Capacity];
        var dst = new Span<byte>(_base + Capacity - frame.Length, frame.Length);
        frame.CopyTo(dst);
        return dst;
    }

    public void Dispose() => munmap(_base, _length);

    [LibraryImport("libc.so.6")]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc.so.6")]
    private static partial int mprotect(void* addr, nuint length, int prot);

    [LibraryImport("libc.so.6")]
    private static partial int munmap(void* addr, nuint length);
}
