using System.Runtime.InteropServices;
using Tributary.Links.Interop;
using Tributary.Netlink;

namespace Tributary.Links.Internal;

/// <summary>An RTM_NEWLINK / RTM_DELLINK message's fields the monitor uses.</summary>
internal readonly ref struct LinkMessage
{
    public LinkMessage(bool deleted, byte family, ushort type, int index, uint flags, ReadOnlySpan<byte> name)
    {
        Deleted = deleted;
        Family = family;
        Type = type;
        Index = index;
        Flags = flags;
        Name = name;
    }

    public bool Deleted { get; }
    public byte Family { get; }
    public ushort Type { get; }
    public int Index { get; }
    public uint Flags { get; }

    /// <summary>IFLA_IFNAME without its NUL, empty when absent.</summary>
    public ReadOnlySpan<byte> Name { get; }
}

/// <summary>An RTM_NEWADDR / RTM_DELADDR message's header, its flags and its attribute run (for the IFA_ADDRESS attributes).</summary>
internal readonly ref struct AddressMessage
{
    public AddressMessage(bool deleted, byte family, byte prefixLength, byte scope, int index, AddressFlags flags, ReadOnlySpan<byte> attributes)
    {
        Deleted = deleted;
        Family = family;
        PrefixLength = prefixLength;
        Scope = scope;
        Index = index;
        Flags = flags;
        Attributes = attributes;
    }

    /// <summary>IFA_FLAGS when present (all 32 bits), else ifa_flags (the first eight).</summary>
    public AddressFlags Flags { get; }

    public bool Deleted { get; }
    public byte Family { get; }
    public byte PrefixLength { get; }
    public byte Scope { get; }
    public int Index { get; }
    public ReadOnlySpan<byte> Attributes { get; }
}

/// <summary>Decoding of the rtnetlink messages the monitor consumes. Every length is checked; nothing allocates.</summary>
internal static class RtnetlinkMessages
{
    public static readonly int IfInfoMsgSize = Marshal.SizeOf<ifinfomsg>();
    public static readonly int IfAddrMsgSize = Marshal.SizeOf<ifaddrmsg>();

    public static bool IsLink(ushort type) => type is Rtnetlink.RTM_NEWLINK or Rtnetlink.RTM_DELLINK;

    public static bool IsAddress(ushort type) => type is Rtnetlink.RTM_NEWADDR or Rtnetlink.RTM_DELADDR;

    /// <summary>False when the message is too short or its attributes are malformed.</summary>
    public static bool TryParseLink(in NetlinkMessage m, out LinkMessage link)
    {
        link = default;
        if (m.Payload.Length < IfInfoMsgSize)
            return false;
        ifinfomsg ifi = MemoryMarshal.Read<ifinfomsg>(m.Payload);
        ReadOnlySpan<byte> name = default;
        var attrs = m.Attributes(IfInfoMsgSize);
        while (attrs.MoveNext())
        {
            NetlinkAttribute a = attrs.Current;
            if (a.Type == IfLink.IFLA_IFNAME)
                name = a.StringBytes;
        }
        if (attrs.Malformed)
            return false;
        link = new LinkMessage(m.Type == Rtnetlink.RTM_DELLINK, ifi.ifi_family, ifi.ifi_type, ifi.ifi_index, ifi.ifi_flags, name);
        return true;
    }

    /// <summary>False when the message is too short; the attribute run is checked when walked.</summary>
    public static bool TryParseAddress(in NetlinkMessage m, out AddressMessage address)
    {
        address = default;
        if (m.Payload.Length < IfAddrMsgSize)
            return false;
        ifaddrmsg ifa = MemoryMarshal.Read<ifaddrmsg>(m.Payload);
        int start = (IfAddrMsgSize + 3) & ~3; // NLMSG_ALIGN
        ReadOnlySpan<byte> attributes = m.Payload[Math.Min(start, m.Payload.Length)..];
        // The kernel puts IFA_FLAGS after the addresses; read it first so each address gets it.
        uint flags = ifa.ifa_flags;
        var attrs = new NetlinkAttributeReader(attributes);
        while (attrs.MoveNext())
        {
            NetlinkAttribute a = attrs.Current;
            if (a.Type == IfAddr.IFA_FLAGS && a.TryGetU32(out uint all))
                flags = all;
        }
        address = new AddressMessage(m.Type == Rtnetlink.RTM_DELADDR, ifa.ifa_family, ifa.ifa_prefixlen, ifa.ifa_scope,
            (int)ifa.ifa_index, (AddressFlags)flags, attributes);
        return true;
    }
}
