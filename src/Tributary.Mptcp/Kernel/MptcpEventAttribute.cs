namespace Tributary.Mptcp;

/// <summary>The attributes an MPTCP event can carry (enum mptcp_event_attr), as bits of <see cref="MptcpEventAttributes.Present"/>.</summary>
[Flags]
public enum MptcpEventAttribute : uint
{
    None = 0,
    Token = 1u << 1,
    Family = 1u << 2,
    LocalId = 1u << 3,
    RemoteId = 1u << 4,
    SourceAddress4 = 1u << 5,
    SourceAddress6 = 1u << 6,
    DestinationAddress4 = 1u << 7,
    DestinationAddress6 = 1u << 8,
    SourcePort = 1u << 9,
    DestinationPort = 1u << 10,
    Backup = 1u << 11,
    Error = 1u << 12,
    Flags = 1u << 13,
    Timeout = 1u << 14,
    InterfaceIndex = 1u << 15,
    ResetReason = 1u << 16,
    ResetFlags = 1u << 17,
    ServerSide = 1u << 18,
}
