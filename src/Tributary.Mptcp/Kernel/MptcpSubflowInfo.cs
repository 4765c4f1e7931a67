namespace Tributary.Mptcp;

/// <summary>
/// One TCP subflow of an MPTCP connection as sock_diag lists it (<c>ss -ti</c>, "tcp-ulp-mptcp"): the
/// TCP socket's identity and the MPTCP_SUBFLOW_ATTR_* of its ULP information.
/// </summary>
/// <param name="Token">The local token of the connection the subflow belongs to (MPTCP_SUBFLOW_ATTR_TOKEN_LOC).</param>
/// <param name="Local">Local address and port.</param>
/// <param name="Remote">Remote address and port.</param>
/// <param name="State">The TCP state (1 ESTABLISHED, 8 CLOSE_WAIT …).</param>
/// <param name="LocalId">The local address id (MPTCP_SUBFLOW_ATTR_ID_LOC).</param>
/// <param name="RemoteId">The remote address id (MPTCP_SUBFLOW_ATTR_ID_REM).</param>
/// <param name="Flags">MPTCP_SUBFLOW_ATTR_FLAGS.</param>
/// <param name="InterfaceIndex">The device the subflow is bound to (0: none).</param>
public sealed record MptcpSubflowInfo(uint Token, MptcpAddress Local, MptcpAddress Remote, byte State, byte LocalId,
    byte RemoteId, MptcpSubflowFlags Flags, int InterfaceIndex)
{
    /// <summary>The connection's initial subflow (MP_CAPABLE), as opposed to a joined one.</summary>
    public bool IsInitial => (Flags & MptcpSubflowFlags.MpCapableRemote) != 0;

    /// <summary>The subflow's backup bit, as the kernel puts it in its subflow events.</summary>
    public bool Backup => (Flags & MptcpSubflowFlags.BackupRemote) != 0;
}
