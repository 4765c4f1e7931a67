namespace Tributary.Capture;

/// <summary>What a live source knows about a packet beyond its bytes (files: <see cref="None"/>).</summary>
[Flags]
public enum PacketFlags : byte
{
    None = 0,

    /// <summary>Sent by this host (sll_pkttype PACKET_OUTGOING).</summary>
    Outgoing = 1,

    /// <summary>
    /// The transport checksum was left for offload and is not filled in (TP_STATUS_CSUMNOTREADY): fix
    /// it (<see cref="Decoding.Checksums.UpdateTransport"/>) before forwarding the frame, and do not
    /// count it as a bad checksum.
    /// </summary>
    ChecksumNotReady = 2,

    /// <summary>The NIC had stripped an 802.1Q tag into metadata and it was put back into <see cref="Packet.Data"/>.</summary>
    VlanTagRestored = 4,
}
