using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Applications.Stats;

/// <summary>Records of a classic pcap file (<see cref="PcapReader.TryReadAt(ref long, out Packet, bool)"/>).</summary>
internal readonly unsafe struct PcapRecords(PcapReader reader) : IRecordAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(byte* start, long end, ref long offset, out Packet packet, bool sequential) =>
        reader.TryReadAt(start, end, ref offset, out packet, sequential);

    /// <summary>A classic pcap file has one header: a cursor never stops at another.</summary>
    public bool TrySkipRepeatedSection(byte* start, long end, ref long offset) => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAgain(byte* start, long end, ref long offset, out Packet packet) =>
        reader.TryReadAt(start, end, ref offset, out packet, sequential: false);

    public long FindRecordBoundary(long from, long limit) => reader.FindRecordBoundary(from, limit);

    public long FindRecordBoundary(byte* start, long begin, long end, long from, long limit, out bool inconclusive) =>
        reader.FindRecordBoundary(start, begin, end, from, limit, confirm: 8, out inconclusive);

    public int ReadAt(long offset, Span<byte> destination) => reader.ReadAt(offset, destination);
}
