using System.Globalization;

namespace Tributary.Capture;

/// <summary>Names of link types as libpcap and tcpdump print them (<c>pcap_datalink_val_to_name</c>).</summary>
public static class LinkTypeNames
{
    /// <summary>
    /// libpcap's DLT name for a link type (EN10MB, LINUX_SLL, RAW …); <c>LINKTYPE_n</c> for numbers
    /// this layer does not name.
    /// </summary>
    public static string GetName(LinkType linkType) => linkType switch
    {
        LinkType.Null => "NULL",
        LinkType.Ethernet => "EN10MB",
        LinkType.Ppp => "PPP",
        LinkType.PppHdlc => "PPP_HDLC",
        LinkType.PppEther => "PPP_ETHER",
        LinkType.Raw => "RAW",
        LinkType.Loop => "LOOP",
        LinkType.LinuxSll => "LINUX_SLL",
        LinkType.IPv4 => "IPV4",
        LinkType.IPv6 => "IPV6",
        LinkType.LinuxSll2 => "LINUX_SLL2",
        _ => "LINKTYPE_" + ((int)linkType).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>True when <see cref="Decoding.PacketDecoder"/> can decode this link type.</summary>
    public static bool IsSupported(LinkType linkType) => linkType is LinkType.Null or LinkType.Ethernet
        or LinkType.Ppp or LinkType.PppHdlc or LinkType.PppEther or LinkType.Raw or LinkType.Loop
        or LinkType.LinuxSll or LinkType.IPv4 or LinkType.IPv6 or LinkType.LinuxSll2;
}
