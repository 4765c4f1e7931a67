namespace Tributary.Mptcp;

/// <summary>The MPTCP_ATTR_FLAGS bits of connection events (MPTCP_PM_EV_FLAG_*, &lt;linux/mptcp.h&gt;).</summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the domain name of this bit set
public enum MptcpEventFlags : ushort
#pragma warning restore CA1711
{
    None = 0,

    /// <summary>The peer does not accept MP_JOIN to its initial address (the "C" flag, RFC 8684 §3.1).</summary>
    DenyJoinId0 = 1,

    /// <summary>The connection was accepted by a local listener.</summary>
    ServerSide = 2,
}
