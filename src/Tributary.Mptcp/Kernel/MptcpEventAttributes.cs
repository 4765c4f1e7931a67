using System.Buffers.Binary;
using Tributary.Mptcp.Interop;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>
/// One decoded "mptcp_pm_events" message: the event type and every attribute the kernel sent, held
/// inline (decoding allocates nothing). Attributes absent from the message are zero; <see cref="Present"/>
/// says which were there. Byte orders follow the kernel: TOKEN is host order, SPORT/DPORT are big-endian
/// (INVENTORY b.4, wire-fixtures.txt).
/// </summary>
public readonly struct MptcpEventAttributes
{
    public MptcpEventType Type { get; init; }

    public MptcpEventAttribute Present { get; init; }

    /// <summary>Attributes dropped because their length was not the one the kernel header defines.</summary>
    public int MalformedAttributes { get; init; }

    public uint Token { get; init; }

    /// <summary>AF_INET (2) or AF_INET6 (10), as the kernel reports it.</summary>
    public ushort Family { get; init; }

    public byte LocalId { get; init; }

    public byte RemoteId { get; init; }

    /// <summary>The local address (SADDR4/6) and port (SPORT).</summary>
    public MptcpAddress Local { get; init; }

    /// <summary>The remote address (DADDR4/6) and port (DPORT).</summary>
    public MptcpAddress Remote { get; init; }

    public bool Backup { get; init; }

    /// <summary>MPTCP_ATTR_ERROR: the socket error of a closed subflow.</summary>
    public byte Error { get; init; }

    public MptcpEventFlags Flags { get; init; }

    public uint Timeout { get; init; }

    /// <summary>The interface a subflow is bound to; present only for device-bound subflows.</summary>
    public int InterfaceIndex { get; init; }

    public uint ResetReason { get; init; }

    public uint ResetFlags { get; init; }

    /// <summary>The connection was accepted by a local listener (SERVER_SIDE attribute or the FLAGS bit).</summary>
    public bool ServerSide => Has(MptcpEventAttribute.ServerSide) ? _serverSide : (Flags & MptcpEventFlags.ServerSide) != 0;

    public bool DenyJoinId0 => (Flags & MptcpEventFlags.DenyJoinId0) != 0;

    private readonly bool _serverSide;

    private bool ServerSideAttribute { init => _serverSide = value; }

    public bool Has(MptcpEventAttribute attribute) => (Present & attribute) == attribute;

    /// <summary>
    /// The attributes mptcpd requires for this event type (INVENTORY b.4) that are missing; None when the
    /// event can be dispatched. Unknown event types require nothing.
    /// </summary>
    public MptcpEventAttribute MissingRequired
    {
        get
        {
            MptcpEventAttribute missing = MptcpEventAttribute.None;
            void Need(bool ok, MptcpEventAttribute a)
            {
                if (!ok)
                    missing |= a;
            }
            bool local = Has(MptcpEventAttribute.SourceAddress4) || Has(MptcpEventAttribute.SourceAddress6);
            bool remote = Has(MptcpEventAttribute.DestinationAddress4) || Has(MptcpEventAttribute.DestinationAddress6);
            switch (Type)
            {
                case MptcpEventType.Created or MptcpEventType.Established:
                case MptcpEventType.SubflowEstablished or MptcpEventType.SubflowClosed or MptcpEventType.SubflowPriority:
                    Need(Has(MptcpEventAttribute.Token), MptcpEventAttribute.Token);
                    Need(local, MptcpEventAttribute.SourceAddress4);
                    Need(Has(MptcpEventAttribute.SourcePort), MptcpEventAttribute.SourcePort);
                    Need(remote, MptcpEventAttribute.DestinationAddress4);
                    Need(Has(MptcpEventAttribute.DestinationPort), MptcpEventAttribute.DestinationPort);
                    if (Type >= MptcpEventType.SubflowEstablished)
                        Need(Has(MptcpEventAttribute.Backup), MptcpEventAttribute.Backup);
                    break;
                case MptcpEventType.Closed:
                    Need(Has(MptcpEventAttribute.Token), MptcpEventAttribute.Token);
                    break;
                case MptcpEventType.Announced:
                    Need(Has(MptcpEventAttribute.Token), MptcpEventAttribute.Token);
                    Need(Has(MptcpEventAttribute.RemoteId), MptcpEventAttribute.RemoteId);
                    Need(remote, MptcpEventAttribute.DestinationAddress4);
                    break;
                case MptcpEventType.Removed:
                    Need(Has(MptcpEventAttribute.Token), MptcpEventAttribute.Token);
                    Need(Has(MptcpEventAttribute.RemoteId), MptcpEventAttribute.RemoteId);
                    break;
                case MptcpEventType.ListenerCreated or MptcpEventType.ListenerClosed:
                    Need(local, MptcpEventAttribute.SourceAddress4);
                    Need(Has(MptcpEventAttribute.SourcePort), MptcpEventAttribute.SourcePort);
                    break;
            }
            return missing;
        }
    }

    /// <summary>
    /// Decodes a generic netlink message of the mptcp_pm family: <paramref name="genericPayload"/> starts
    /// at the genlmsghdr. Attributes of the wrong length are dropped and counted (mptcpd checks each
    /// attribute's exact length); unknown attribute types are skipped. False only when the message is too
    /// short for a genlmsghdr or its attribute run is malformed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> genericPayload, out MptcpEventAttributes result)
    {
        result = default;
        if (genericPayload.Length < 4)
            return false;
        var type = (MptcpEventType)genericPayload[0];
        MptcpEventAttribute present = MptcpEventAttribute.None;
        int malformed = 0;
        uint token = 0, timeout = 0, resetReason = 0, resetFlags = 0;
        ushort family = 0, sport = 0, dport = 0, flags = 0;
        byte locId = 0, remId = 0, error = 0;
        bool backup = false, serverSide = false;
        int ifIndex = 0;
        ReadOnlySpan<byte> saddr = default, daddr = default;
        var reader = new NetlinkAttributeReader(genericPayload[4..]);
        foreach (NetlinkAttribute a in reader)
        {
            ReadOnlySpan<byte> p = a.Payload;
            ushort t = a.Type;
            int expected = ExpectedLength(t);
            if (expected < 0)
                continue; // unknown to this version: skipped, as newer kernels may add attributes
            if (p.Length != expected)
            {
                malformed++;
                continue;
            }
            switch (t)
            {
                case MptcpPm.MPTCP_ATTR_TOKEN: token = BinaryPrimitives.ReadUInt32LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_FAMILY: family = BinaryPrimitives.ReadUInt16LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_LOC_ID: locId = p[0]; break;
                case MptcpPm.MPTCP_ATTR_REM_ID: remId = p[0]; break;
                case MptcpPm.MPTCP_ATTR_SADDR4 or MptcpPm.MPTCP_ATTR_SADDR6: saddr = p; break;
                case MptcpPm.MPTCP_ATTR_DADDR4 or MptcpPm.MPTCP_ATTR_DADDR6: daddr = p; break;
                case MptcpPm.MPTCP_ATTR_SPORT: sport = BinaryPrimitives.ReadUInt16BigEndian(p); break;
                case MptcpPm.MPTCP_ATTR_DPORT: dport = BinaryPrimitives.ReadUInt16BigEndian(p); break;
                case MptcpPm.MPTCP_ATTR_BACKUP: backup = p[0] != 0; break;
                case MptcpPm.MPTCP_ATTR_ERROR: error = p[0]; break;
                case MptcpPm.MPTCP_ATTR_FLAGS: flags = BinaryPrimitives.ReadUInt16LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_TIMEOUT: timeout = BinaryPrimitives.ReadUInt32LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_IF_IDX: ifIndex = BinaryPrimitives.ReadInt32LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_RESET_REASON: resetReason = BinaryPrimitives.ReadUInt32LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_RESET_FLAGS: resetFlags = BinaryPrimitives.ReadUInt32LittleEndian(p); break;
                case MptcpPm.MPTCP_ATTR_SERVER_SIDE: serverSide = p[0] != 0; break;
            }
            present |= (MptcpEventAttribute)(1u << t);
        }
        if (reader.Malformed)
            return false;
        result = new MptcpEventAttributes
        {
            Type = type,
            Present = present,
            MalformedAttributes = malformed,
            Token = token,
            Family = family,
            LocalId = locId,
            RemoteId = remId,
            Local = saddr.IsEmpty ? default : MptcpAddress.FromBytes(saddr, sport),
            Remote = daddr.IsEmpty ? default : MptcpAddress.FromBytes(daddr, dport),
            Backup = backup,
            Error = error,
            Flags = (MptcpEventFlags)flags,
            Timeout = timeout,
            InterfaceIndex = ifIndex,
            ResetReason = resetReason,
            ResetFlags = resetFlags,
            ServerSideAttribute = serverSide,
        };
        return true;
    }

    /// <summary>The payload length the kernel defines for an event attribute; -1 for types this version does not know.</summary>
    internal static int ExpectedLength(ushort type) => type switch
    {
        MptcpPm.MPTCP_ATTR_TOKEN => 4,
        MptcpPm.MPTCP_ATTR_FAMILY => 2,
        MptcpPm.MPTCP_ATTR_LOC_ID or MptcpPm.MPTCP_ATTR_REM_ID => 1,
        MptcpPm.MPTCP_ATTR_SADDR4 or MptcpPm.MPTCP_ATTR_DADDR4 => 4,
        MptcpPm.MPTCP_ATTR_SADDR6 or MptcpPm.MPTCP_ATTR_DADDR6 => 16,
        MptcpPm.MPTCP_ATTR_SPORT or MptcpPm.MPTCP_ATTR_DPORT => 2,
        MptcpPm.MPTCP_ATTR_BACKUP or MptcpPm.MPTCP_ATTR_ERROR or MptcpPm.MPTCP_ATTR_SERVER_SIDE => 1,
        MptcpPm.MPTCP_ATTR_FLAGS => 2,
        MptcpPm.MPTCP_ATTR_TIMEOUT or MptcpPm.MPTCP_ATTR_IF_IDX or MptcpPm.MPTCP_ATTR_RESET_REASON or MptcpPm.MPTCP_ATTR_RESET_FLAGS => 4,
        _ => -1,
    };

    /// <summary>As <c>ip mptcp monitor</c> style text: the type, then each attribute present.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Type);
        if (Has(MptcpEventAttribute.Token))
            sb.Append(" token=0x").Append(Token.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        if (Has(MptcpEventAttribute.LocalId))
            sb.Append(" loc_id=").Append(LocalId);
        if (Has(MptcpEventAttribute.RemoteId))
            sb.Append(" rem_id=").Append(RemoteId);
        if (!Local.IsNone)
            sb.Append(" local=").Append(Local);
        if (!Remote.IsNone)
            sb.Append(" remote=").Append(Remote);
        if (Has(MptcpEventAttribute.Backup))
            sb.Append(" backup=").Append(Backup ? 1 : 0);
        if (Has(MptcpEventAttribute.InterfaceIndex))
            sb.Append(" if_idx=").Append(InterfaceIndex);
        if (Has(MptcpEventAttribute.Error))
            sb.Append(" error=").Append(Error);
        if (Has(MptcpEventAttribute.Flags))
            sb.Append(" flags=").Append((ushort)Flags);
        if (ServerSide)
            sb.Append(" server_side=1");
        if (Has(MptcpEventAttribute.Timeout))
            sb.Append(" timeout=").Append(Timeout);
        if (Has(MptcpEventAttribute.ResetReason))
            sb.Append(" reset_reason=").Append(ResetReason);
        if (Has(MptcpEventAttribute.ResetFlags))
            sb.Append(" reset_flags=").Append(ResetFlags);
        return sb.ToString();
    }
}
