namespace Tributary.Capture;

/// <summary>
/// Link-layer header type of a packet: the LINKTYPE_* numbers of pcap and pcapng files
/// (tcpdump.org/linktypes.html), which are also what this layer uses for live capture.
/// Only the types the decoder understands are named; any other number passes through unchanged.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in the writer's byte order.</summary>
    Null = 0,

    /// <summary>LINKTYPE_ETHERNET (1): Ethernet II / 802.3, optionally with 802.1Q, QinQ, MPLS, PPPoE inside.</summary>
    Ethernet = 1,

    /// <summary>LINKTYPE_PPP (9): PPP in HDLC-like framing or bare protocol field (RFC 1661/1662).</summary>
    Ppp = 9,

    /// <summary>LINKTYPE_PPP_HDLC (50): PPP in HDLC framing (RFC 1662).</summary>
    PppHdlc = 50,

    /// <summary>LINKTYPE_PPP_ETHER (51): PPPoE session payload (RFC 2516), no Ethernet header.</summary>
    PppEther = 51,

    /// <summary>LINKTYPE_RAW (101): raw IPv4 or IPv6, version from the first nibble.</summary>
    Raw = 101,

    /// <summary>LINKTYPE_LOOP (108): OpenBSD loopback, like <see cref="Null"/> but the family is big-endian.</summary>
    Loop = 108,

    /// <summary>LINKTYPE_LINUX_SLL (113): Linux "cooked" capture v1, 16-byte header.</summary>
    LinuxSll = 113,

    /// <summary>LINKTYPE_IPV4 (228): raw IPv4.</summary>
    IPv4 = 228,

    /// <summary>LINKTYPE_IPV6 (229): raw IPv6.</summary>
    IPv6 = 229,

    /// <summary>LINKTYPE_LINUX_SLL2 (276): Linux "cooked" capture v2, 20-byte header.</summary>
    LinuxSll2 = 276,
}
