using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// A Multipath TCP option (TCP option kind 30) decoded per RFC 8684 §3 (and version 0, RFC 6824,
/// for MP_CAPABLE). <see cref="TryParse"/> accepts only the lengths the RFC defines for each subtype;
/// the fields of other subtypes are zero.
/// </summary>
public readonly ref struct MptcpOption
{
    /// <summary>The option value after kind and length (subtype nibble first).</summary>
    public ReadOnlySpan<byte> Raw { get; init; }

    /// <summary>Total option length including kind and length bytes.</summary>
    public int Length { get; init; }

    public MptcpSubtype Subtype { get; init; }

    /// <summary>MP_CAPABLE: protocol version (0 = RFC 6824, 1 = RFC 8684); ADD_ADDR: 0 for the RFC 6824 layout (IP version nibble), 1 for RFC 8684's.</summary>
    public int Version { get; init; }

    /// <summary>
    /// The subtype's flag bits: MP_CAPABLE byte 3 (A checksum, B extensibility, C no-other-address, H HMAC-SHA256);
    /// DSS flags (see the Dss* properties); MP_TCPRST U/V/W/T bits; ADD_ADDR E bit; MP_JOIN and MP_PRIO B bit.
    /// </summary>
    public byte Flags { get; init; }

    /// <summary>MP_CAPABLE: sender's key (SYN/ACK, ACK).</summary>
    public ulong SenderKey { get; init; }

    /// <summary>MP_CAPABLE third ACK: receiver's key; MP_FASTCLOSE: the option receiver's key (RFC 8684 §3.5).</summary>
    public ulong ReceiverKey { get; init; }

    /// <summary>True when <see cref="SenderKey"/> is present.</summary>
    public bool HasSenderKey { get; init; }

    /// <summary>True when <see cref="ReceiverKey"/> is present.</summary>
    public bool HasReceiverKey { get; init; }

    /// <summary>MP_CAPABLE with data (v1) and DSS mapping: data-level length; 0 when absent.</summary>
    public ushort DataLevelLength { get; init; }

    /// <summary>MP_CAPABLE or DSS: DSS checksum present.</summary>
    public bool HasChecksum { get; init; }

    /// <summary>MP_CAPABLE or DSS: the DSS checksum.</summary>
    public ushort Checksum { get; init; }

    /// <summary>MP_JOIN, ADD_ADDR, MP_PRIO (RFC 6824 form): address id.</summary>
    public byte AddressId { get; init; }

    /// <summary>MP_JOIN SYN and SYN/ACK, and MP_PRIO: backup flag (the MP_JOIN third ACK has none).</summary>
    public bool Backup => (Subtype == MptcpSubtype.Priority || (Subtype == MptcpSubtype.Join && JoinStage is 1 or 2)) && (Flags & 0x01) != 0;

    /// <summary>MP_JOIN SYN: receiver's token.</summary>
    public uint Token { get; init; }

    /// <summary>MP_JOIN SYN and SYN/ACK: sender's random number.</summary>
    public uint Nonce { get; init; }

    /// <summary>MP_JOIN SYN/ACK: truncated HMAC (64 bits); ADD_ADDR: truncated HMAC when <see cref="HasHmac"/>.</summary>
    public ulong TruncatedHmac { get; init; }

    /// <summary>MP_JOIN third ACK: the 160-bit HMAC; empty otherwise.</summary>
    public ReadOnlySpan<byte> Hmac { get; init; }

    /// <summary>True when <see cref="TruncatedHmac"/> or <see cref="Hmac"/> is present.</summary>
    public bool HasHmac { get; init; }

    /// <summary>Which MP_JOIN message: 1 = SYN (length 12), 2 = SYN/ACK (16), 3 = ACK (24); 0 for other subtypes.</summary>
    public int JoinStage { get; init; }

    // ---- DSS (§3.3) ----

    /// <summary>DSS: Data ACK present (flag A).</summary>
    public bool HasDataAck => Subtype == MptcpSubtype.Dss && (Flags & 0x01) != 0;

    /// <summary>DSS: Data ACK is 8 bytes (flag a).</summary>
    public bool DataAckIs64Bit => Subtype == MptcpSubtype.Dss && (Flags & 0x02) != 0;

    /// <summary>DSS: mapping present (flag M): DSN, subflow sequence, data-level length.</summary>
    public bool HasMapping => Subtype == MptcpSubtype.Dss && (Flags & 0x04) != 0;

    /// <summary>DSS: DSN is 8 bytes (flag m).</summary>
    public bool DataSequenceIs64Bit => Subtype == MptcpSubtype.Dss && (Flags & 0x08) != 0;

    /// <summary>DSS: DATA_FIN (flag F).</summary>
    public bool DataFin => Subtype == MptcpSubtype.Dss && (Flags & 0x10) != 0;

    /// <summary>DSS: Data ACK (4 or 8 bytes as sent, zero-extended).</summary>
    public ulong DataAck { get; init; }

    /// <summary>DSS: data sequence number (4 or 8 bytes as sent, zero-extended); MP_FAIL: the DSN.</summary>
    public ulong DataSequence { get; init; }

    /// <summary>DSS: subflow sequence number (relative to the subflow's ISN).</summary>
    public uint SubflowSequence { get; init; }

    // ---- ADD_ADDR / REMOVE_ADDR ----

    /// <summary>ADD_ADDR (RFC 8684 form, <see cref="Version"/> 1): echo flag (E).</summary>
    public bool Echo => Subtype == MptcpSubtype.AddAddress && Version == 1 && (Flags & 0x01) != 0;

    /// <summary>ADD_ADDR: the advertised address.</summary>
    public IpAddress Address { get; init; }

    /// <summary>ADD_ADDR: 4 or 6.</summary>
    public int AddressVersion { get; init; }

    /// <summary>ADD_ADDR: port, 0 when absent.</summary>
    public ushort Port { get; init; }

    /// <summary>REMOVE_ADDR: the address ids removed.</summary>
    public ReadOnlySpan<byte> AddressIds { get; init; }

    // ---- MP_TCPRST ----

    /// <summary>MP_TCPRST: reason code (§3.6).</summary>
    public byte ResetReason { get; init; }

    /// <summary>
    /// Parses the value of a kind-30 option (<paramref name="data"/> = bytes after kind and length).
    /// False when the subtype's length is not one RFC 8684 allows.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out MptcpOption option)
    {
        option = default;
        if (data.Length < 1)
            return false;
        int length = data.Length + 2;
        var subtype = (MptcpSubtype)(data[0] >> 4);
        byte low = (byte)(data[0] & 0x0F);
        switch (subtype)
        {
            case MptcpSubtype.Capable:
                {
                    // v1: SYN 4, SYN/ACK 12, ACK 20, ACK+data 22 or 24 (with checksum); v0: 12 or 20.
                    if (data.Length < 2 || length is not (4 or 12 or 20 or 22 or 24))
                        return false;
                    bool sender = length >= 12, receiver = length >= 20;
                    option = new MptcpOption
                    {
                        Raw = data,
                        Length = length,
                        Subtype = subtype,
                        Version = low,
                        Flags = data[1],
                        HasSenderKey = sender,
                        SenderKey = sender ? BinaryPrimitives.ReadUInt64BigEndian(data[2..]) : 0,
                        HasReceiverKey = receiver,
                        ReceiverKey = receiver ? BinaryPrimitives.ReadUInt64BigEndian(data[10..]) : 0,
                        DataLevelLength = length >= 22 ? BinaryPrimitives.ReadUInt16BigEndian(data[18..]) : (ushort)0,
                        HasChecksum = length == 24,
                        Checksum = length == 24 ? BinaryPrimitives.ReadUInt16BigEndian(data[20..]) : (ushort)0,
                    };
                    return true;
                }
            case MptcpSubtype.Join:
                switch (length)
                {
                    case 12:
                        option = new MptcpOption
                        {
                            Raw = data,
                            Length = length,
                            Subtype = subtype,
                            Flags = low,
                            JoinStage = 1,
                            AddressId = data[1],
                            Token = BinaryPrimitives.ReadUInt32BigEndian(data[2..]),
                            Nonce = BinaryPrimitives.ReadUInt32BigEndian(data[6..]),
                        };
                        return true;
                    case 16:
                        option = new MptcpOption
                        {
                            Raw = data,
                            Length = length,
                            Subtype = subtype,
                            Flags = low,
                            JoinStage = 2,
                            AddressId = data[1],
                            TruncatedHmac = BinaryPrimitives.ReadUInt64BigEndian(data[2..]),
                            HasHmac = true,
                            Nonce = BinaryPrimitives.ReadUInt32BigEndian(data[10..]),
                        };
                        return true;
                    case 24:
                        option = new MptcpOption
                        {
                            Raw = data,
                            Length = length,
                            Subtype = subtype,
                            Flags = low,
                            JoinStage = 3,
                            Hmac = data.Slice(2, 20),
                            HasHmac = true,
                        };
                        return true;
                    default:
                        return false;
                }
            case MptcpSubtype.Dss:
                return TryParseDss(data, out option);
            case MptcpSubtype.AddAddress:
                {
                    if (data.Length < 2)
                        return false;
                    int version;
                    bool port, echo = false, hmac;
                    if (low is 4 or 6)
                    {
                        // RFC 6824 §3.4.1 form: the low nibble is the IP version; no echo flag, no HMAC.
                        version = low;
                        int rest = length - 4 - (version == 4 ? 4 : 16);
                        if (rest is not (0 or 2))
                            return false;
                        port = rest == 2;
                        hmac = false;
                    }
                    else
                    {
                        // RFC 8684 §3.4.1: IPv4 8/10 (echo) or 16/18 (with HMAC); IPv6 20/22 or 28/30; +2 with a port.
                        echo = (low & 0x01) != 0;
                        hmac = !echo;
                        switch (length - 4 - (hmac ? 8 : 0))
                        {
                            case 4: version = 4; port = false; break;
                            case 6: version = 4; port = true; break;
                            case 16: version = 6; port = false; break;
                            case 18: version = 6; port = true; break;
                            default: return false;
                        }
                    }
                    ReadOnlySpan<byte> a = data[2..];
                    int addressLength = version == 4 ? 4 : 16;
                    option = new MptcpOption
                    {
                        Raw = data,
                        Length = length,
                        Subtype = subtype,
                        Flags = low,
                        Version = low is 4 or 6 ? 0 : 1,
                        AddressId = data[1],
                        AddressVersion = version,
                        Address = version == 4 ? IpAddress.FromIPv4(a) : IpAddress.FromIPv6(a),
                        Port = port ? BinaryPrimitives.ReadUInt16BigEndian(a[addressLength..]) : (ushort)0,
                        HasHmac = hmac,
                        TruncatedHmac = hmac ? BinaryPrimitives.ReadUInt64BigEndian(a[(addressLength + (port ? 2 : 0))..]) : 0,
                    };
                    return true;
                }
            case MptcpSubtype.RemoveAddress:
                if (length < 4)
                    return false;
                option = new MptcpOption { Raw = data, Length = length, Subtype = subtype, Flags = low, AddressIds = data[1..] };
                return true;
            case MptcpSubtype.Priority:
                // RFC 8684 §3.3.8: length 3; RFC 6824 added an optional address id (length 4).
                if (length is not (3 or 4))
                    return false;
                option = new MptcpOption
                {
                    Raw = data,
                    Length = length,
                    Subtype = subtype,
                    Flags = low,
                    AddressId = length == 4 ? data[1] : (byte)0,
                };
                return true;
            case MptcpSubtype.Fail:
                if (length != 12)
                    return false;
                option = new MptcpOption
                {
                    Raw = data,
                    Length = length,
                    Subtype = subtype,
                    Flags = low,
                    DataSequence = BinaryPrimitives.ReadUInt64BigEndian(data[2..]),
                };
                return true;
            case MptcpSubtype.FastClose:
                if (length != 12)
                    return false;
                option = new MptcpOption
                {
                    Raw = data,
                    Length = length,
                    Subtype = subtype,
                    Flags = low,
                    HasReceiverKey = true,
                    ReceiverKey = BinaryPrimitives.ReadUInt64BigEndian(data[2..]),
                };
                return true;
            case MptcpSubtype.TcpReset:
                if (length != 4)
                    return false;
                option = new MptcpOption { Raw = data, Length = length, Subtype = subtype, Flags = low, ResetReason = data[1] };
                return true;
            default:
                option = new MptcpOption { Raw = data, Length = length, Subtype = subtype, Flags = low };
                return true;
        }
    }

    private static bool TryParseDss(ReadOnlySpan<byte> data, out MptcpOption option)
    {
        option = default;
        if (data.Length < 2)
            return false;
        byte flags = data[1];
        bool ack = (flags & 0x01) != 0, ack8 = (flags & 0x02) != 0, map = (flags & 0x04) != 0, dsn8 = (flags & 0x08) != 0;
        int p = 2;
        ulong dataAck = 0, dsn = 0;
        uint ssn = 0;
        ushort dll = 0, checksum = 0;
        if (ack)
        {
            int n = ack8 ? 8 : 4;
            if (data.Length < p + n)
                return false;
            dataAck = ack8 ? BinaryPrimitives.ReadUInt64BigEndian(data[p..]) : BinaryPrimitives.ReadUInt32BigEndian(data[p..]);
            p += n;
        }
        bool hasChecksum = false;
        if (map)
        {
            int n = dsn8 ? 8 : 4;
            if (data.Length < p + n + 6)
                return false;
            dsn = dsn8 ? BinaryPrimitives.ReadUInt64BigEndian(data[p..]) : BinaryPrimitives.ReadUInt32BigEndian(data[p..]);
            p += n;
            ssn = BinaryPrimitives.ReadUInt32BigEndian(data[p..]);
            dll = BinaryPrimitives.ReadUInt16BigEndian(data[(p + 4)..]);
            p += 6;
            if (data.Length == p + 2)
            {
                hasChecksum = true;
                checksum = BinaryPrimitives.ReadUInt16BigEndian(data[p..]);
                p += 2;
            }
        }
        if (p != data.Length)
            return false;
        option = new MptcpOption
        {
            Raw = data,
            Length = data.Length + 2,
            Subtype = MptcpSubtype.Dss,
            Flags = flags,
            DataAck = dataAck,
            DataSequence = dsn,
            SubflowSequence = ssn,
            DataLevelLength = dll,
            HasChecksum = hasChecksum,
            Checksum = checksum,
        };
        return true;
    }
}
