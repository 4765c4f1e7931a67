using System.Security.Cryptography;
using Tributary.Capture;
using Tributary.Capture.Decoding;
using CaptureTcpFlags = Tributary.Capture.Decoding.TcpFlags;

namespace Tributary.Flows.Applications.Summary;

/// <summary>
/// <c>tributary flows summary</c> (DESIGN.md "Contracts"): one row per TCP flow grouped as tshark's <c>tcp.stream</c>
/// (<see cref="TcpStreamIndex"/>; SYN-less flows included), client/server by the
/// corpus <c>basis</c> rule, per-direction counts, and each direction's reassembled stream: first copy wins on
/// overlap, the contiguous prefix before an unfilled hole, hashed with SHA-256.
/// </summary>
public sealed class FlowSummarizer
{
    /// <summary>Out-of-order bytes held per direction while a hole is open; beyond it further data is dropped (counted in <see cref="FlowSummary.DroppedBytes"/>).</summary>
    public const int MaxPendingBytesPerDirection = 64 << 20;

    private readonly TcpStreamIndex _index = new();
    private readonly List<FlowSummary> _flows = [];
    private readonly bool _verifyChecksums;
    private readonly IpFragmentReassembler _reassembler = new();

    public FlowSummarizer(bool verifyChecksums) => _verifyChecksums = verifyChecksums;

    /// <summary>Flows in order of their first packet.</summary>
    public IReadOnlyList<FlowSummary> Flows => _flows;

    public long Packets { get; private set; }
    public long TcpSegments { get; private set; }
    public long ChecksumErrors { get; private set; }

    /// <summary>
    /// Adds one captured frame; <paramref name="flags"/> are the capture's (a live capture's
    /// <see cref="PacketFlags.ChecksumNotReady"/>: the TCP checksum was still to be filled in, so it is not checked).
    /// </summary>
    public void Add(ReadOnlySpan<byte> frame, LinkType linkType, int originalLength, long timestampNanoseconds, PacketFlags flags = PacketFlags.None)
    {
        Packets++;
        // tshark reassembles IP fragments before TCP: a segment counts once, on its last fragment, whose checksum the
        // sender finished (only a live capture's unfragmented frames can still lack it).
        if (_reassembler.TryDecode(frame, linkType, originalLength, timestampNanoseconds, out DecodedPacket d, out bool reassembled))
            AddDecoded(d, !reassembled && (flags & PacketFlags.ChecksumNotReady) != 0, timestampNanoseconds);
    }

    private void AddDecoded(in DecodedPacket d, bool checksumNotReady, long timestampNanoseconds)
    {
        if (!d.IsTcp)
            return;
        if (_verifyChecksums && ((d.IpVersion == 4 && !Checksums.VerifyIPv4Header(d)) || (!checksumNotReady && Checksums.VerifyTransport(d) == ChecksumResult.Bad)))
        {
            ChecksumErrors++;
            return;
        }
        TcpSegments++;
        int index = checked((int)_index.Assign(d, out bool isNew)); // one row per flow: a list, never past int
        if (isNew)
            _flows.Add(new FlowSummary(index, d.IpVersion, d.Source, d.SourcePort, d.Destination, d.DestinationPort));
        FlowSummary flow = _flows[index];
        flow.Add(d, timestampNanoseconds);
    }

    /// <summary>Finishes the hashes.</summary>
    public void Complete()
    {
        foreach (FlowSummary f in _flows)
            f.Complete();
    }
}
