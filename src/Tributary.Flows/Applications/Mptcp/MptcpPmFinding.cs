namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One row of the path-manager check: what it is about and what each side showed.
/// </summary>
/// <param name="Kind">What was found.</param>
/// <param name="Connection">The wire connection, when there is one.</param>
/// <param name="KernelConnection">The kernel's connection, when there is one.</param>
/// <param name="Side">This host's end of the connection in wire terms (client = sent the MP_CAPABLE SYN), when known.</param>
/// <param name="Subject">What differs: <c>-</c> for the connection, <c>LOCAL-REMOTE</c> for a subflow (this host's end first), <c>idN=ADDRESS</c> for an address, <c>idN</c> for a removed id.</param>
/// <param name="Kernel">What the kernel showed of the subject (<c>-</c>: nothing).</param>
/// <param name="Wire">What the wire showed of the subject (<c>-</c>: nothing).</param>
public sealed record MptcpPmFinding(MptcpPmFindingKind Kind, MptcpConnection? Connection, MptcpKernelConnection? KernelConnection,
    MptcpPeer? Side, string Subject, string Kernel, string Wire)
{
    /// <summary>False for the notes (agreement, connections of other hosts, connections older than the watch, lost events).</summary>
    public bool IsDiscrepancy => Kind is not (MptcpPmFindingKind.Agree or MptcpPmFindingKind.NotEndpoint
        or MptcpPmFindingKind.BeforeStart or MptcpPmFindingKind.EventsLost);

    /// <summary>The kernel's token of the connection, else the wire's token of this host's end, else null.</summary>
    public uint? Token => KernelConnection?.Token ?? (Side == MptcpPeer.Server ? Connection?.ServerToken : Connection?.ClientToken);
}
