namespace Tributary.Capture.Live;

/// <summary>Settings of a <see cref="LiveCapture"/>.</summary>
public sealed class LiveCaptureOptions
{
    /// <summary>
    /// Bytes per ring block (power of two, a multiple of the page size, at least the largest frame:
    /// GSO/GRO frames on veth reach 64 KB, reference/dotnet/FEASIBILITY.md pitfall 9). Default 1 MiB.
    /// </summary>
    public int BlockSize { get; init; } = 1 << 20;

    /// <summary>Blocks in the ring (the ring is BlockSize × BlockCount bytes of locked memory). Default 64.</summary>
    public int BlockCount { get; init; } = 64;

    /// <summary>
    /// How long the kernel waits before handing over a block that is not full (tp_retire_blk_tov), in
    /// milliseconds: the worst-case delivery latency at low rates. Default 10.
    /// </summary>
    public int BlockTimeoutMilliseconds { get; init; } = 10;

    /// <summary>Bytes kept of each packet (the rest is cut, as tcpdump's -s). Default 262144.</summary>
    public int SnapLength { get; init; } = Filters.BpfProgram.DefaultSnapLength;

    /// <summary>Put the interface in promiscuous mode while capturing (tcpdump's default). Default true.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>A tcpdump-syntax filter run in the kernel (SO_ATTACH_FILTER); packets it rejects never reach the ring.</summary>
    public string? Filter { get; init; }

    /// <summary>A ready BPF program for the kernel instead of <see cref="Filter"/>.</summary>
    public Filters.BpfProgram? FilterProgram { get; init; }

    /// <summary>
    /// Skip packets this host sends on the interface (PACKET_IGNORE_OUTGOING): an inline forwarder
    /// must not see its own transmissions. Default false (capture both directions, as tcpdump). On a loopback device
    /// they are always skipped: the kernel hands every packet over twice there, as sent and as received, and the
    /// received copy is the one kept (as libpcap does).
    /// </summary>
    public bool IgnoreOutgoing { get; init; }

    /// <summary>Put the 802.1Q tag the NIC stripped back into the frame (as libpcap does). Default true.</summary>
    public bool ReinsertVlanTags { get; init; } = true;

    /// <summary>
    /// Ask the kernel for each super-frame's segment size (PACKET_VNET_HDR): <see cref="Packet.SegmentSize"/>, which a
    /// forwarder needs to cut a UDP GSO datagram back into the sender's datagrams. Default false. With it the kernel
    /// drops, in its drop count, super-frames whose segmentation virtio cannot describe (tunnel, GRE or SCTP GSO from
    /// a local sender), which a forwarder could not split either.
    /// </summary>
    public bool SegmentSizes { get; init; }
}
