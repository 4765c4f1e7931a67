using System.Runtime.CompilerServices;
using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Applications.Stats;

/// <summary>Records of a memory-mapped classic pcap file (<see cref="PcapReader.TryReadAt"/>).</summary>
internal readonly struct PcapRecords(PcapReader reader) : IRecordAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(ref long offset, out Packet packet, bool sequential) => reader.TryReadAt(ref offset, out packet, sequential);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAgain(ref long offset, out Packet packet) => reader.TryReadAt(ref offset, out packet, sequential: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchRecord(long offset) => reader.PrefetchRecord(offset);

    public long FindRecordBoundary(long from, long limit) => reader.FindRecordBoundary(from, limit);

    public void Release(long offset, long length) => reader.Release(offset, length);
}
