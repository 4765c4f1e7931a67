namespace Tributary.Flows.Applications.Mptcp;

/// <summary>What the capture shows of a connection that tried or used MPTCP.</summary>
public enum MptcpConnectionKind
{
    /// <summary>An MP_CAPABLE SYN whose SYN/ACK was not captured (unanswered, or the capture missed it).</summary>
    Attempt = 0,

    /// <summary>MP_CAPABLE in the SYN/ACK, or both keys in the third ACK (RFC 8684 §3.1): an MPTCP connection.</summary>
    Mptcp = 1,

    /// <summary>An MP_CAPABLE SYN answered by a SYN/ACK without it: the connection fell back to plain TCP (RFC 8684 §3.7).</summary>
    Fallback = 2,

    /// <summary>
    /// MP_JOINs to a token no captured MP_CAPABLE exchange produced (the initial subflow was not captured), grouped by
    /// that token. When the exchange that gives the token comes later in the capture, the group merges into its connection.
    /// </summary>
    Orphan = 3,
}
