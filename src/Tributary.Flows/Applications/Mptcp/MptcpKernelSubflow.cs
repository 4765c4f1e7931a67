namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One subflow of a <see cref="MptcpKernelConnection"/> as the path manager reported it: the initial one (from
/// MPTCP_EVENT_CREATED), a joined one (SUB_ESTABLISHED, SUB_PRIORITY, SUB_CLOSED), or one listed when the watch began.
/// Addresses are the kernel's: <see cref="Local"/> is this host's end.
/// </summary>
public sealed class MptcpKernelSubflow
{
    internal MptcpKernelSubflow(MptcpSocketAddress local, MptcpSocketAddress remote, bool initial)
    {
        Local = local;
        Remote = remote;
        IsInitial = initial;
    }

    public MptcpSocketAddress Local { get; }

    public MptcpSocketAddress Remote { get; }

    /// <summary>The connection's MP_CAPABLE subflow.</summary>
    public bool IsInitial { get; }

    public byte LocalId { get; internal set; }

    public byte RemoteId { get; internal set; }

    /// <summary>
    /// The backup bit of the last event: the peer's request (the B flag of its MP_JOIN, or the MP_PRIO it sent) —
    /// Linux reports <c>subflow->backup</c>, which only the peer's signals set.
    /// </summary>
    public bool Backup { get; internal set; }

    /// <summary>SUB_ESTABLISHED was reported (for the initial subflow: CREATED), or the subflow was listed at the start.</summary>
    public bool Established { get; internal set; }

    /// <summary>Listed over sock_diag when the watch began: its handshake predates the capture.</summary>
    public bool ExistedAtStart { get; internal set; }

    /// <summary>SUB_CLOSED was reported.</summary>
    public bool Closed { get; internal set; }

    /// <summary>The socket error SUB_CLOSED carried, if any.</summary>
    public byte? Error { get; internal set; }

    /// <summary>SUB_PRIORITY events: the peer sent MP_PRIO on this subflow (RFC 8684 §3.3.8).</summary>
    public int PriorityEvents { get; internal set; }

    internal bool Matches(in MptcpSocketAddress local, in MptcpSocketAddress remote) => Local == local && Remote == remote;
}
