namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// What <see cref="MptcpPmCheck"/> found when it compared the wire with the path manager's events (README.md
/// "flows mptcp", <c>--pm-check</c>). The text each kind is written as is in <see cref="MptcpConnectionWriter"/>.
/// <see cref="MptcpPmFinding.IsDiscrepancy"/> is false for <see cref="Agree"/>, <see cref="NotEndpoint"/>,
/// <see cref="BeforeStart"/> and <see cref="EventsLost"/>, which are notes.
/// </summary>
public enum MptcpPmFindingKind
{
    /// <summary>A connection both saw, and nothing below differed.</summary>
    Agree,

    /// <summary>The kernel reported the connection (CREATED during the watch) but no MP_CAPABLE exchange on the wire gave its token.</summary>
    KernelOnly,

    /// <summary>An MPTCP connection on the wire with an end at one of this host's addresses, which the kernel never reported.</summary>
    WireOnly,

    /// <summary>An MPTCP connection on the wire between two other hosts (a router or a bridge sees it): no kernel view is expected.</summary>
    NotEndpoint,

    /// <summary>A kernel connection that predates the watch (listed at the start, or events without CREATED) and no wire connection has its token.</summary>
    BeforeStart,

    /// <summary>The kernel says this host accepted the connection (server side), its token says it is the wire's client, or the reverse.</summary>
    Role,

    /// <summary>A subflow the kernel reported established (initial or SUB_ESTABLISHED) that the wire does not show established.</summary>
    SubflowKernelOnly,

    /// <summary>A subflow established on the wire (MP_CAPABLE or MP_JOIN SYN/ACK) that the kernel never reported.</summary>
    SubflowWireOnly,

    /// <summary>The subflow's backup bit in the kernel's last event differs from the peer's last request on the wire (MP_JOIN B flag, MP_PRIO).</summary>
    Backup,

    /// <summary>SUB_PRIORITY events for a subflow on which the wire shows no MP_PRIO from the peer, or the reverse.</summary>
    Priority,

    /// <summary>The kernel says the peer announced an address (ANNOUNCED) that no ADD_ADDR from the peer on the wire carries.</summary>
    AnnounceKernelOnly,

    /// <summary>An ADD_ADDR from the peer on the wire that the kernel did not report as ANNOUNCED.</summary>
    AnnounceWireOnly,

    /// <summary>The kernel says the peer removed an address id (REMOVED) that no REMOVE_ADDR from the peer on the wire carries.</summary>
    RemoveKernelOnly,

    /// <summary>A REMOVE_ADDR id from the peer on the wire that the kernel did not report as REMOVED.</summary>
    RemoveWireOnly,

    /// <summary>A local <c>signal</c> endpoint the kernel should have announced on an established connection, with no ADD_ADDR for it on the wire.</summary>
    SignalMissing,

    /// <summary>This host announced a <c>signal</c> endpoint (ADD_ADDR on the wire) and the peer never echoed it (RFC 8684 §3.4.1).</summary>
    EchoMissing,

    /// <summary>The event socket overflowed: the kernel's view is incomplete, and discrepancies may come from the lost events.</summary>
    EventsLost,
}
