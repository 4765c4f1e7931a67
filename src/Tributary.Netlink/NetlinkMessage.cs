using System.Buffers.Binary;

namespace Tributary.Netlink;

/// <summary>
/// One netlink message inside a received datagram: its header fields and a view of its payload.
/// Valid only as long as the receive buffer it points into.
/// </summary>
public readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, NetlinkMessageFlags flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    /// <summary><c>nlmsg_type</c>: a control type (<see cref="NetlinkMessageType"/>) or a family-specific one.</summary>
    public ushort Type { get; }

    public NetlinkMessageFlags Flags { get; }

    public uint Sequence { get; }

    /// <summary><c>nlmsg_pid</c>: the port id of the socket the message is addressed to (0 for multicast).</summary>
    public uint PortId { get; }

    /// <summary>Everything after the 16-byte header, up to <c>nlmsg_len</c>.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>For a generic netlink message: the genlmsghdr command byte.</summary>
    public byte GenericCommand => Payload.Length >= 4 ? Payload[0] : (byte)0;

    /// <summary>For a generic netlink message: the genlmsghdr version byte.</summary>
    public byte GenericVersion => Payload.Length >= 4 ? Payload[1] : (byte)0;

    /// <summary>The attributes after a fixed family header of <paramref name="headerLength"/> bytes.</summary>
    public NetlinkAttributeReader Attributes(int headerLength)
    {
        int aligned = Interop.Netlink.NLMSG_ALIGN(headerLength);
        return aligned <= Payload.Length ? new NetlinkAttributeReader(Payload[aligned..]) : new NetlinkAttributeReader(default, malformed: true);
    }

    /// <summary>Reads the <c>nlmsgerr.error</c> field of an NLMSG_ERROR message (0 is an acknowledgement).</summary>
    public int ErrorCode => Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(Payload) : -Interop.Errno.EINVAL;
}
