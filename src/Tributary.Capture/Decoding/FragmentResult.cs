namespace Tributary.Capture.Decoding;

/// <summary>Outcome of <see cref="IpFragmentReassembler.Process"/>.</summary>
public enum FragmentResult
{
    /// <summary>The packet is not a fragment: use it as it is.</summary>
    NotFragment,

    /// <summary>The fragment was stored (or was an exact duplicate); the datagram is not complete yet.</summary>
    Pending,

    /// <summary>This fragment completed the datagram: decode it with <see cref="PacketDecoder.DecodeIp"/>.</summary>
    Complete,

    /// <summary>
    /// The fragment was refused: malformed or snapshot-truncated, beyond 64 KiB, overlapping other data
    /// (RFC 5722; the whole datagram is discarded), or over the memory limit.
    /// </summary>
    Dropped,
}
