namespace Tributary.Netlink;

/// <summary>The <c>nlmsg_flags</c> bits of <c>linux/netlink.h</c>.</summary>
[Flags]
public enum NetlinkMessageFlags : ushort
{
    None = 0,
    Request = 0x01,
    Multi = 0x02,
    Ack = 0x04,
    Echo = 0x08,
    DumpInterrupted = 0x10,
    DumpFiltered = 0x20,

    // GET requests
    Root = 0x100,
    Match = 0x200,
    Atomic = 0x400,
    Dump = Root | Match,

    // NEW requests
    Replace = 0x100,
    Exclusive = 0x200,
    Create = 0x400,
    Append = 0x800,

    // acknowledgements
    Capped = 0x100,
    AckTlvs = 0x200,
}

/// <summary>The control message types every netlink family shares (<c>NLMSG_*</c>).</summary>
public static class NetlinkMessageType
{
    public const ushort Noop = 1;
    public const ushort Error = 2;
    public const ushort Done = 3;
    public const ushort Overrun = 4;

    /// <summary>Types below this value are reserved for control messages.</summary>
    public const ushort MinType = 0x10;
}

/// <summary>Netlink protocol numbers (<c>NETLINK_*</c>) for <see cref="NetlinkSocket.Create"/>.</summary>
public enum NetlinkProtocol
{
    Route = 0,
    SockDiag = 4,
    Generic = 16,
}
