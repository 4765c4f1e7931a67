namespace Tributary.Capture.Files;

/// <summary>Constants of the classic libpcap file format (pcap-savefile(5), draft-ietf-opsawg-pcap).</summary>
internal static class PcapFormat
{
    public const uint MagicMicroseconds = 0xA1B2C3D4;
    public const uint MagicNanoseconds = 0xA1B23C4D;
    public const uint MagicMicrosecondsSwapped = 0xD4C3B2A1;
    public const uint MagicNanosecondsSwapped = 0x4D3CB2A1;
    public const int FileHeaderSize = 24;
    public const int RecordHeaderSize = 16;
    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;

    /// <summary>libpcap's MAXIMUM_SNAPLEN: larger captured lengths are corrupt unless the header's snaplen is larger.</summary>
    public const int MaximumSnapLength = 262144;

    /// <summary>The LinkType field's upper bits carry the FCS length (draft-ietf-opsawg-pcap §4): the type is the low 16 bits.</summary>
    public const uint LinkTypeMask = 0x0000FFFF;
}

/// <summary>Constants of pcapng (draft-ietf-opsawg-pcapng).</summary>
internal static class PcapNgFormat
{
    public const uint SectionHeaderBlock = 0x0A0D0D0A;
    public const uint InterfaceDescriptionBlock = 0x00000001;
    public const uint PacketBlock = 0x00000002;          // obsolete, still read
    public const uint SimplePacketBlock = 0x00000003;
    public const uint EnhancedPacketBlock = 0x00000006;
    public const uint ByteOrderMagic = 0x1A2B3C4D;
    public const uint ByteOrderMagicSwapped = 0x4D3C2B1A;

    public const int BlockHeaderSize = 8;                 // type + total length
    public const int MinimumBlockSize = 12;               // + trailing total length
    public const int SectionHeaderMinimumSize = 28;
    public const int InterfaceDescriptionMinimumSize = 20;
    public const int EnhancedPacketMinimumSize = 32;
    public const int SimplePacketMinimumSize = 16;
    public const int PacketBlockMinimumSize = 32;

    public const ushort OptEndOfOpt = 0;
    public const ushort OptComment = 1;
    public const ushort IfName = 2;
    public const ushort IfDescription = 3;
    public const ushort IfTsResol = 9;
    public const ushort IfFcsLen = 13;
    public const ushort IfTsOffset = 14;
    public const ushort EpbFlags = 2;
}
