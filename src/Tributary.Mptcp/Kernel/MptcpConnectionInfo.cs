namespace Tributary.Mptcp;

/// <summary>
/// One MPTCP socket as sock_diag lists it (<c>ss -M</c>): identity, state, and its <c>struct mptcp_info</c>.
/// </summary>
/// <param name="Token">The connection's local token (0 for listeners and sockets that never got one).</param>
/// <param name="Local">Local address and port.</param>
/// <param name="Remote">Remote address and port (port 0 for listeners).</param>
/// <param name="State">The socket state, numbered as TCP states (1 ESTABLISHED, 2 SYN_SENT, 7 CLOSE, 10 LISTEN …).</param>
/// <param name="Inode">The inode of the socket's file; 0 once the application closed it, or before it accepted it.</param>
/// <param name="Shutdown">sk_shutdown: bit 0 receive side, bit 1 send side.</param>
/// <param name="Info">The socket's <c>mptcp_info</c> (INET_DIAG_INFO), or null when the kernel sent none.</param>
public sealed record MptcpConnectionInfo(uint Token, MptcpAddress Local, MptcpAddress Remote, byte State, uint Inode,
    byte Shutdown, MptcpInfo? Info)
{
    /// <summary>A listening socket.</summary>
    public bool IsListener => State == Interop.InetDiag.TCP_LISTEN;

    /// <summary>
    /// The application closed the socket: it has no file any more and both directions are shut down.
    /// The kernel sends MPTCP_EVENT_CLOSED at that moment, although the socket may linger in a
    /// closing state (FIN_WAIT2 …) for a while.
    /// </summary>
    public bool IsClosedByApplication => Inode == 0 && (Shutdown & Interop.InetDiag.SHUTDOWN_MASK) == Interop.InetDiag.SHUTDOWN_MASK;

    /// <summary>The peer's key arrived (MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED): the kernel announced the connection (CREATED).</summary>
    public bool RemoteKeyReceived => Info is { } i && (i.Flags & Interop.Mptcp.MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED) != 0;

    /// <summary>The connection fell back to plain TCP (MPTCP_INFO_FLAG_FALLBACK).</summary>
    public bool IsFallback => Info is { } i && (i.Flags & Interop.Mptcp.MPTCP_INFO_FLAG_FALLBACK) != 0;
}
