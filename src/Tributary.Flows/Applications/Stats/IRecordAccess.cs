using Tributary.Capture;

namespace Tributary.Flows.Applications.Stats;

/// <summary>
/// Cursors of one's own over a capture file, as the chunked run reads it: each chunk is copied out of the file into a
/// buffer, and records are read from the copy, addressed by their offsets in the file (<c>start + offset</c>, where
/// <c>start</c> is where offset 0 would be). Implemented by structs over the sealed readers, so that the run's loops
/// are compiled once per format with direct, inlined calls.
/// </summary>
internal unsafe interface IRecordAccess
{
    /// <summary>Reads the record (or packet block) at <paramref name="offset"/> of the copy and moves the offset past it; false at the end or at a block a cursor cannot read.</summary>
    bool TryReadAt(byte* start, long end, ref long offset, out Packet packet, bool sequential);

    /// <summary>
    /// At a block where <see cref="TryReadAt"/> stopped: steps over a section that repeats the current section's
    /// interfaces exactly (pcapng files joined by <c>cat</c>) and returns true; false for anything else.
    /// </summary>
    bool TrySkipRepeatedSection(byte* start, long end, ref long offset);

    /// <summary>Reads again a record that <see cref="TryReadAt"/> has read, jumping to it: checks that bytes other than its header would cost a cache miss are skipped.</summary>
    bool TryReadAgain(byte* start, long end, ref long offset, out Packet packet);

    /// <summary>The first plausible record start in [<paramref name="from"/>, <paramref name="limit"/>), or -1.</summary>
    long FindRecordBoundary(long from, long limit);

    /// <summary>
    /// <see cref="FindRecordBoundary(long, long)"/> in a copy of the bytes [<paramref name="begin"/>, <paramref name="end"/>);
    /// <paramref name="inconclusive"/> when the search needs bytes outside it (then the mapping is searched instead).
    /// </summary>
    long FindRecordBoundary(byte* start, long begin, long end, long from, long limit, out bool inconclusive);

    /// <summary>Copies the file's bytes at <paramref name="offset"/> into <paramref name="destination"/>; fewer only at the end of the file.</summary>
    int ReadAt(long offset, Span<byte> destination);
}
