namespace Tributary.Capture.Decoding;

/// <summary>MPTCP option subtypes (RFC 8684 §3, IANA "MPTCP Option Subtypes").</summary>
public enum MptcpSubtype : byte
{
    /// <summary>MP_CAPABLE (§3.1).</summary>
    Capable = 0x0,

    /// <summary>MP_JOIN (§3.2).</summary>
    Join = 0x1,

    /// <summary>DSS: data sequence signal, data ACK, DATA_FIN (§3.3).</summary>
    Dss = 0x2,

    /// <summary>ADD_ADDR (§3.4.1).</summary>
    AddAddress = 0x3,

    /// <summary>REMOVE_ADDR (§3.4.2).</summary>
    RemoveAddress = 0x4,

    /// <summary>MP_PRIO (§3.3.8).</summary>
    Priority = 0x5,

    /// <summary>MP_FAIL (§3.7).</summary>
    Fail = 0x6,

    /// <summary>MP_FASTCLOSE (§3.5).</summary>
    FastClose = 0x7,

    /// <summary>MP_TCPRST (§3.6).</summary>
    TcpReset = 0x8,

    /// <summary>MP_EXPERIMENTAL (§3.9 / IANA).</summary>
    Experimental = 0xF,
}
