using Tributary.Capture.Decoding;
using CaptureTcpFlags = Tributary.Capture.Decoding.TcpFlags;

namespace Tributary.Flows.Applications.Summary;

/// <summary>
/// Numbers TCP segments into flows exactly as tshark's <c>tcp.stream</c> (DESIGN.md "Contracts"): per 4-tuple, in
/// order of first packet; a SYN whose sequence number differs from the one its direction started with opens a new
/// flow (port reuse); packets after FIN or RST stay in their flow; no idle split. Shared by <c>flows summary</c> and
/// <c>flows mptcp</c> so that both name a flow by the same index. One entry per 4-tuple ever seen, like tshark.
/// </summary>
public sealed class TcpStreamIndex
{
    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), Entry> _current = [];

    /// <summary>Flows numbered so far (the next flow gets this index).</summary>
    public int Count { get; private set; }

    /// <summary>The <c>tcp.stream</c> index of a TCP segment; <paramref name="isNew"/> when it opened a flow.</summary>
    public int Assign(in DecodedPacket d, out bool isNew)
    {
        bool srcFirst = (d.Source, d.SourcePort).CompareTo((d.Destination, d.DestinationPort)) <= 0;
        var key = srcFirst ? (d.Source, d.SourcePort, d.Destination, d.DestinationPort) : (d.Destination, d.DestinationPort, d.Source, d.SourcePort);
        bool syn = (d.TcpFlags & (CaptureTcpFlags.Syn | CaptureTcpFlags.Ack)) == CaptureTcpFlags.Syn;
        isNew = false;
        if (!_current.TryGetValue(key, out Entry? entry)
            // tshark: a SYN whose sequence number is not the base of its direction is a new connection (port reuse).
            || (syn && entry.BaseOf(srcFirst, out uint baseSequence) && d.Sequence != baseSequence))
        {
            entry = new Entry(Count++);
            _current[key] = entry;
            isNew = true;
        }
        entry.Observe(srcFirst, (d.TcpFlags & CaptureTcpFlags.Syn) != 0, d.Sequence);
        return entry.Index;
    }

    /// <summary>One flow's index and the sequence number each direction started with.</summary>
    private sealed class Entry(int index)
    {
        private bool _firstSet, _secondSet;
        private uint _firstBase, _secondBase;

        public int Index { get; } = index;

        public bool BaseOf(bool first, out uint sequence)
        {
            sequence = first ? _firstBase : _secondBase;
            return first ? _firstSet : _secondSet;
        }

        /// <summary>The base is the SYN's sequence number, or the one before the first sequence number seen mid-stream.</summary>
        public void Observe(bool first, bool syn, uint sequence)
        {
            if (first && !_firstSet)
            {
                _firstSet = true;
                _firstBase = syn ? sequence : sequence - 1;
            }
            else if (!first && !_secondSet)
            {
                _secondSet = true;
                _secondBase = syn ? sequence : sequence - 1;
            }
        }
    }
}
