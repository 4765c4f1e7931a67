using Tributary.Capture;

namespace Tributary.Flows.Applications.Stats;

/// <summary>
/// Cursors of one's own over a memory-mapped capture file, as the chunked run reads it. Implemented by structs over
/// the sealed readers, so that the run's loops are compiled once per format with direct, inlined calls.
/// </summary>
internal interface IRecordAccess
{
    /// <summary>Reads the record (or packet block) at <paramref name="offset"/> and moves the offset past it; false at the end or at a block a cursor cannot read.</summary>
    bool TryReadAt(ref long offset, out Packet packet, bool sequential);

    /// <summary>Reads again a record that <see cref="TryReadAt"/> has read, jumping to it: checks that bytes other than its header would cost a cache miss are skipped.</summary>
    bool TryReadAgain(ref long offset, out Packet packet);

    /// <summary>Starts loading the record at <paramref name="offset"/> into the cache.</summary>
    void PrefetchRecord(long offset);

    /// <summary>The first plausible record start in [<paramref name="from"/>, <paramref name="limit"/>), or -1.</summary>
    long FindRecordBoundary(long from, long limit);

    /// <summary>Drops the page-table entries of the input bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>).</summary>
    void Release(long offset, long length);
}
