namespace Tributary.Capture.Decoding;

/// <summary>Outcome of <see cref="Checksums.VerifyTransport"/>.</summary>
public enum ChecksumResult
{
    /// <summary>The checksum is right.</summary>
    Good,

    /// <summary>The checksum is wrong.</summary>
    Bad,

    /// <summary>UDP over IPv4 with checksum 0: the sender computed none (RFC 768).</summary>
    Absent,

    /// <summary>Not checkable here: fragment, snapshot-truncated, malformed, or not TCP/UDP.</summary>
    NotVerifiable,
}
