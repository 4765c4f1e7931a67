using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Applications.Stats;

/// <summary>
/// Packet blocks of a pcapng file, read with the interfaces described before its first packet
/// (<see cref="PcapNgReader.TryReadAt(ref long, out Packet, bool, bool)"/>): a cursor stops at a section header or
/// interface description block.
/// </summary>
internal readonly unsafe struct PcapNgRecords(PcapNgReader reader) : IRecordAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(byte* start, long end, ref long offset, out Packet packet, bool sequential) =>
        reader.TryReadAt(start, end, ref offset, out packet, sequential, verifyTrailer: true);

    /// <summary>Without the trailer's length, which was compared when the block was first read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAgain(byte* start, long end, ref long offset, out Packet packet) =>
        reader.TryReadAt(start, end, ref offset, out packet, sequential: false, verifyTrailer: false);

    public long FindRecordBoundary(long from, long limit) => reader.FindRecordBoundary(from, limit);

    public long FindRecordBoundary(byte* start, long begin, long end, long from, long limit, out bool inconclusive) =>
        reader.FindRecordBoundary(start, begin, end, from, limit, confirm: 8, out inconclusive);

    public bool TrySkipRepeatedSection(byte* start, long end, ref long offset) =>
        reader.TrySkipRepeatedSection(start, end, ref offset);

    public int ReadAt(long offset, Span<byte> destination) => reader.ReadAt(offset, destination);
}
