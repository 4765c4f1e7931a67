namespace Tributary.Flows.Applications.Mptcp;

/// <summary>An end of an MPTCP connection: the client initiated it (sent the MP_CAPABLE SYN, RFC 8684 §3.1).</summary>
public enum MptcpPeer
{
    Client = 0,
    Server = 1,
}
