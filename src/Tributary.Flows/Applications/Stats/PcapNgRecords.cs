using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Applications.Stats;

/// <summary>
/// Packet blocks of a memory-mapped pcapng file, read with the interfaces described before its first packet
/// (<see cref="PcapNgReader.TryReadAt"/>): a cursor stops at a section header or interface description block.
/// </summary>
internal readonly struct PcapNgRecords(PcapNgReader reader) : IRecordAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(ref long offset, out Packet packet, bool sequential) => reader.TryReadAt(ref offset, out packet, sequential);

    /// <summary>Without the trailer's length, which was compared when the block was first read (its last cache line is cold by now).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAgain(ref long offset, out Packet packet) => reader.TryReadAt(ref offset, out packet, sequential: false, verifyTrailer: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchRecord(long offset) => reader.PrefetchRecord(offset);

    public long FindRecordBoundary(long from, long limit) => reader.FindRecordBoundary(from, limit);

    public void Release(long offset, long length) => reader.Release(offset, length);
}
