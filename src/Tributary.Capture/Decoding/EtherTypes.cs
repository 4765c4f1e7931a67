namespace Tributary.Capture.Decoding;

/// <summary>Ethernet protocol numbers (IEEE registry; Linux &lt;linux/if_ether.h&gt; ETH_P_*).</summary>
public static class EtherTypes
{
    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Vlan = 0x8100;           // 802.1Q C-tag
    public const ushort QinQ = 0x88A8;           // 802.1ad S-tag
    public const ushort QinQLegacy = 0x9100;     // pre-802.1ad double tagging
    public const ushort IPv6 = 0x86DD;
    public const ushort MplsUnicast = 0x8847;
    public const ushort MplsMulticast = 0x8848;
    public const ushort PppoeDiscovery = 0x8863;
    public const ushort PppoeSession = 0x8864;

    /// <summary>Values below this are IEEE 802.3 length fields, not types.</summary>
    public const ushort MinimumType = 0x0600;
}
