namespace Tributary.Flows.Applications.Mptcp;

/// <summary>How a connection that tried MPTCP fell back to plain TCP (RFC 8684 §3.7), as the wire shows it.</summary>
public enum MptcpFallback
{
    /// <summary>No fallback seen.</summary>
    None = 0,

    /// <summary>The SYN/ACK answered MP_CAPABLE without it (the connection's kind is <see cref="MptcpConnectionKind.Fallback"/>).</summary>
    Handshake = 1,

    /// <summary>
    /// After the MP_CAPABLE handshake, an end's first data on the initial subflow came without a DSS mapping (nor
    /// MP_CAPABLE with data): the middlebox-stripped-options case of §3.7, after which the receiver treats the connection
    /// as plain TCP (tshark: <c>mptcp.dss.missing_mapping</c>).
    /// </summary>
    MissingMapping = 2,

    /// <summary>A DSS mapping with data-level length 0, the infinite mapping an end sends to fall back after the
    /// handshake, typically following MP_FAIL (§3.7; tshark: <c>mptcp.dss.infinite_mapping</c>).</summary>
    InfiniteMapping = 3,
}
