namespace Tributary.Capture.Decoding;

/// <summary>TCP option kinds (IANA "TCP Option Kind Numbers").</summary>
public enum TcpOptionKind : byte
{
    /// <summary>End of option list (RFC 9293 §3.2).</summary>
    EndOfList = 0,

    /// <summary>No-operation padding (RFC 9293 §3.2).</summary>
    NoOperation = 1,

    /// <summary>Maximum segment size, length 4 (RFC 9293 §3.2).</summary>
    MaximumSegmentSize = 2,

    /// <summary>Window scale shift, length 3 (RFC 7323 §2).</summary>
    WindowScale = 3,

    /// <summary>SACK permitted, length 2 (RFC 2018).</summary>
    SackPermitted = 4,

    /// <summary>SACK blocks, length 2 + 8n (RFC 2018).</summary>
    Sack = 5,

    /// <summary>Obsolete echo (RFC 1072).</summary>
    Echo = 6,

    /// <summary>Obsolete echo reply (RFC 1072).</summary>
    EchoReply = 7,

    /// <summary>Timestamps TSval/TSecr, length 10 (RFC 7323 §3).</summary>
    Timestamps = 8,

    /// <summary>TCP MD5 signature, length 18 (RFC 2385).</summary>
    Md5Signature = 19,

    /// <summary>User timeout, length 4 (RFC 5482).</summary>
    UserTimeout = 28,

    /// <summary>TCP authentication option (RFC 5925).</summary>
    Authentication = 29,

    /// <summary>Multipath TCP (RFC 8684 §3): see <see cref="MptcpOption"/>.</summary>
    Mptcp = 30,

    /// <summary>TCP Fast Open cookie (RFC 7413 §4.1.1).</summary>
    FastOpen = 34,

    /// <summary>Accurate ECN order 0 (RFC 9768).</summary>
    AccurateEcn0 = 172,

    /// <summary>Accurate ECN order 1 (RFC 9768).</summary>
    AccurateEcn1 = 174,

    /// <summary>RFC 3692-style experiment 1 (RFC 4727), e.g. pre-RFC Fast Open with magic 0xF989.</summary>
    Experimental1 = 253,

    /// <summary>RFC 3692-style experiment 2 (RFC 4727).</summary>
    Experimental2 = 254,
}
