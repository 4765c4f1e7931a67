using System.Runtime.InteropServices;

namespace Tributary.Capture.Interop;

// <linux/if_packet.h>: AF_PACKET socket options and the TPACKET_V3 ring structures. Names and
// layouts as in the header (checked by LayoutTests against the real header with gcc).
internal static class IfPacket
{
    public const int SOL_PACKET = 263;

    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_DROP_MEMBERSHIP = 2;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_VERSION = 10;
    public const int PACKET_RESERVE = 12;
    public const int PACKET_TX_RING = 13;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_IGNORE_OUTGOING = 23;

    public const int PACKET_MR_PROMISC = 1;

    /// <summary>
    /// PACKET_FANOUT modes and flags (the value is id | (mode | flags) &lt;&lt; 16). IGNORE_OUTGOING is newer
    /// than Debian's header, so LayoutTests cannot check it; its value is the kernel's uapi one.
    /// </summary>
    public const int PACKET_FANOUT_HASH = 0;
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    public const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;

    /// <summary>sizeof(struct virtio_net_hdr): with PACKET_VNET_HDR it precedes each frame's link header in the ring.</summary>
    public const int VirtioNetHeaderLength = 10;

    /// <summary>enum tpacket_versions: TPACKET_V3.</summary>
    public const int TPACKET_V3 = 2;

    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1 << 0;
    public const uint TP_STATUS_COPY = 1 << 1;
    public const uint TP_STATUS_LOSING = 1 << 2;
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
    public const uint TP_STATUS_VLAN_VALID = 1 << 4;
    public const uint TP_STATUS_BLK_TMO = 1 << 5;
    public const uint TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    /// <summary>sll_pkttype values (linux/if_packet.h PACKET_HOST …).</summary>
    public const byte PACKET_HOST = 0;
    public const byte PACKET_OUTGOING = 4;

    /// <summary>TPACKET_ALIGNMENT.</summary>
    public const int TPACKET_ALIGNMENT = 16;
}

/// <summary>struct sockaddr_ll (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sockaddr_ll
{
    public ushort sll_family;
    public ushort sll_protocol;     // network byte order
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public fixed byte sll_addr[8];
}

/// <summary>struct packet_mreq (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct packet_mreq
{
    public int mr_ifindex;
    public ushort mr_type;
    public ushort mr_alen;
    public fixed byte mr_address[8];
}

/// <summary>struct tpacket_req3 (28 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_req3
{
    public uint tp_block_size;
    public uint tp_block_nr;
    public uint tp_frame_size;
    public uint tp_frame_nr;
    public uint tp_retire_blk_tov;
    public uint tp_sizeof_priv;
    public uint tp_feature_req_word;
}

/// <summary>struct tpacket_stats_v3 (12 bytes). Reading it with getsockopt resets the kernel's counters.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_stats_v3
{
    public uint tp_packets;
    public uint tp_drops;
    public uint tp_freeze_q_cnt;
}

/// <summary>struct tpacket_bd_ts.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_bd_ts
{
    public uint ts_sec;
    public uint ts_nsec;    // union with ts_usec
}

/// <summary>struct tpacket_hdr_v1 (the block header of union tpacket_bd_header_u).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_hdr_v1
{
    public uint block_status;
    public uint num_pkts;
    public uint offset_to_first_pkt;
    public uint blk_len;
    public ulong seq_num;           // __aligned_u64
    public tpacket_bd_ts ts_first_pkt;
    public tpacket_bd_ts ts_last_pkt;
}

/// <summary>struct tpacket_block_desc (48 bytes): one ring block.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_block_desc
{
    public uint version;
    public uint offset_to_priv;
    public tpacket_hdr_v1 hdr;      // union tpacket_bd_header_u { struct tpacket_hdr_v1 bh1; }
}

/// <summary>struct tpacket_hdr_variant1.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_hdr_variant1
{
    public uint tp_rxhash;
    public uint tp_vlan_tci;
    public ushort tp_vlan_tpid;
    public ushort tp_padding;
}

/// <summary>struct tpacket3_hdr (48 bytes): one packet in a block.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tpacket3_hdr
{
    public uint tp_next_offset;
    public uint tp_sec;
    public uint tp_nsec;
    public uint tp_snaplen;
    public uint tp_len;
    public uint tp_status;
    public ushort tp_mac;
    public ushort tp_net;
    public tpacket_hdr_variant1 hv1;    // union { struct tpacket_hdr_variant1 hv1; }
    public fixed byte tp_padding[8];
}
