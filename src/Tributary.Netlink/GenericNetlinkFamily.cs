using System.Collections.ObjectModel;
using Tributary.Netlink.Interop;

namespace Tributary.Netlink;

/// <summary>
/// A generic netlink family as the controller (nlctrl) describes it: its dynamic id, version,
/// header size, highest attribute, operations and multicast groups (by name → id).
/// </summary>
public sealed class GenericNetlinkFamily
{
    /// <summary>The controller family itself (fixed id 0x10), whose "notify" group reports families appearing and vanishing.</summary>
    public const ushort ControllerId = GenNetlink.GENL_ID_CTRL;

    internal GenericNetlinkFamily(string name, ushort id, uint version, uint headerSize, uint maxAttribute,
        IReadOnlyDictionary<string, uint> groups, IReadOnlyDictionary<uint, uint> operations)
    {
        Name = name;
        Id = id;
        Version = version;
        HeaderSize = headerSize;
        MaxAttribute = maxAttribute;
        MulticastGroups = groups;
        Operations = operations;
    }

    public string Name { get; }

    /// <summary>The family id to put in <c>nlmsg_type</c>.</summary>
    public ushort Id { get; }

    public uint Version { get; }

    public uint HeaderSize { get; }

    /// <summary>0 for families with per-operation policies (mptcp_pm on 6.x).</summary>
    public uint MaxAttribute { get; }

    /// <summary>Multicast groups by name, e.g. "mptcp_pm_events" → 9.</summary>
    public IReadOnlyDictionary<string, uint> MulticastGroups { get; }

    /// <summary>Supported commands → their GENL_* capability flags.</summary>
    public IReadOnlyDictionary<uint, uint> Operations { get; }

    /// <summary>True when the kernel lists <paramref name="command"/> among the family's operations.</summary>
    public bool SupportsCommand(byte command) => Operations.ContainsKey(command);

    /// <summary>The id of a multicast group; throws with the group name when the family has no such group.</summary>
    public uint GetGroup(string name) =>
        MulticastGroups.TryGetValue(name, out uint id)
            ? id
            : throw new NetlinkException(Errno.ENOENT, $"generic netlink family {Name} has no multicast group \"{name}\"");

    /// <summary>Asks the controller for a family by name (CTRL_CMD_GETFAMILY).</summary>
    /// <exception cref="NetlinkException">ENOENT when the kernel has no such family (module not loaded …).</exception>
    public static GenericNetlinkFamily Resolve(NetlinkSocket socket, string name)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (socket.Protocol != NetlinkProtocol.Generic)
            throw new ArgumentException("family resolution needs a NETLINK_GENERIC socket", nameof(socket));
        Span<byte> buf = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(GenNetlink.GENL_ID_CTRL, NetlinkMessageFlags.None);
        w.WriteGenericHeader(GenNetlink.CTRL_CMD_GETFAMILY, 2);
        w.PutString(GenNetlink.CTRL_ATTR_FAMILY_NAME, name);
        GenericNetlinkFamily? family = null;
        socket.Execute(w.Finish(), (in NetlinkMessage m) => family = Parse(m), $"resolve generic netlink family {name}");
        return family ?? throw new NetlinkProtocolException($"no CTRL_CMD_NEWFAMILY reply for {name}");
    }

    /// <summary>
    /// Parses a controller message describing a family (the reply to GETFAMILY, or a NEWFAMILY /
    /// DELFAMILY notification on the "notify" group). Null when the message is not one.
    /// </summary>
    public static GenericNetlinkFamily? Parse(in NetlinkMessage message)
    {
        if (message.Type != GenNetlink.GENL_ID_CTRL || message.Payload.Length < GenNetlink.GENL_HDRLEN)
            return null;
        string? name = null;
        ushort id = 0;
        uint version = 0, hdr = 0, max = 0;
        var groups = new Dictionary<string, uint>(StringComparer.Ordinal);
        var ops = new Dictionary<uint, uint>();
        var reader = message.Attributes(GenNetlink.GENL_HDRLEN);
        foreach (NetlinkAttribute a in reader)
        {
            switch (a.Type)
            {
                case GenNetlink.CTRL_ATTR_FAMILY_ID:
                    a.TryGetU16(out id);
                    break;
                case GenNetlink.CTRL_ATTR_FAMILY_NAME:
                    name = a.GetString();
                    break;
                case GenNetlink.CTRL_ATTR_VERSION:
                    a.TryGetU32(out version);
                    break;
                case GenNetlink.CTRL_ATTR_HDRSIZE:
                    a.TryGetU32(out hdr);
                    break;
                case GenNetlink.CTRL_ATTR_MAXATTR:
                    a.TryGetU32(out max);
                    break;
                case GenNetlink.CTRL_ATTR_MCAST_GROUPS:
                    foreach (NetlinkAttribute g in a.Nested)
                    {
                        string? gname = null;
                        uint gid = 0;
                        foreach (NetlinkAttribute f in g.Nested)
                        {
                            if (f.Type == GenNetlink.CTRL_ATTR_MCAST_GRP_NAME)
                                gname = f.GetString();
                            else if (f.Type == GenNetlink.CTRL_ATTR_MCAST_GRP_ID)
                                f.TryGetU32(out gid);
                        }
                        if (gname is not null)
                            groups[gname] = gid;
                    }
                    break;
                case GenNetlink.CTRL_ATTR_OPS:
                    foreach (NetlinkAttribute op in a.Nested)
                    {
                        uint opId = 0, opFlags = 0;
                        foreach (NetlinkAttribute f in op.Nested)
                        {
                            if (f.Type == GenNetlink.CTRL_ATTR_OP_ID)
                                f.TryGetU32(out opId);
                            else if (f.Type == GenNetlink.CTRL_ATTR_OP_FLAGS)
                                f.TryGetU32(out opFlags);
                        }
                        ops[opId] = opFlags;
                    }
                    break;
            }
        }
        if (name is null || id == 0)
            return null;
        return new GenericNetlinkFamily(name, id, version, hdr, max,
            new ReadOnlyDictionary<string, uint>(groups), new ReadOnlyDictionary<uint, uint>(ops));
    }

    /// <summary>The controller's command byte of a family notification: NEWFAMILY (1) or DELFAMILY (2).</summary>
    public static bool IsFamilyRemoved(in NetlinkMessage message) =>
        message.Type == GenNetlink.GENL_ID_CTRL && message.GenericCommand == GenNetlink.CTRL_CMD_DELFAMILY;

    public override string ToString() =>
        $"{Name} id={Id} version={Version} groups=[{string.Join(", ", MulticastGroups.Select(g => $"{g.Key}={g.Value}"))}]";
}
