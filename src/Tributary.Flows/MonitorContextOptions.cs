namespace Tributary.Flows;

/// <summary>
/// Configuration of a <see cref="MonitorContext"/>: mOS's configuration keys (INVENTORY §14, TRACER §2.2) plus the
/// switches of DEVIATIONS.md. Validated when the context is created (DEVIATIONS B31): an invalid value throws
/// <see cref="ArgumentException"/>; with <see cref="MosCompat"/>, a receive-buffer size that is not a multiple of
/// 1024 is accepted and every buffer allocation fails as in mOS (B31/B32).
/// </summary>
public sealed record MonitorContextOptions
{
    /// <summary>Reproduce mOS's observable behaviour for every row of DEVIATIONS.md (except "both modes"/"no mode" rows).</summary>
    public bool MosCompat { get; init; }

    /// <summary>Per-side receive buffer in bytes (<c>rmem_size</c>, default 8192).</summary>
    public int ReceiveBufferSize { get; init; } = 8192;

    /// <summary>Idle timeout in seconds (<c>tcp_timeout</c>, default 30; ≤ 0 disables).</summary>
    public int TcpTimeoutSeconds { get; init; } = 30;

    /// <summary>TIME_WAIT hold in seconds (<c>tcp_tw_interval</c>, default 0: destroy as soon as both sides are done).</summary>
    public int TimeWaitSeconds { get; init; }

    /// <summary>Pool size in streams (a connection uses two) and size of the socket id space (<c>max_concurrency</c>).</summary>
    public int MaxConcurrency { get; init; } = 1 << 20;

    /// <summary>Inline mode: every frame is forwarded unless dropped (<c>forward</c>, default 1). False = passive.</summary>
    public bool Forward { get; init; } = true;

    /// <summary>Verify IPv4 header and TCP checksums and ignore bad packets as mOS does (S27).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>B11: accept a RST only when seq = rcv_nxt (RFC 5961 §3.2); otherwise ignore it and raise Error. Refused with MosCompat.</summary>
    public bool ValidateRst { get; init; }

    /// <summary>B27: raise Error on the receiving side for a bad-checksum segment of a tracked flow. Refused with MosCompat.</summary>
    public bool ReportChecksumErrors { get; init; }

    /// <summary>B33: create flows from mid-stream packets whose SYN was not seen. Refused with MosCompat.</summary>
    public bool AdoptMidstream { get; init; }

    /// <summary>Use the capture clock (offline replay) instead of the wall clock.</summary>
    public bool OfflineClock { get; init; } = true;

    /// <summary>Throws when a value is out of range or a switch is combined with <see cref="MosCompat"/>.</summary>
    public void Validate()
    {
        if (ReceiveBufferSize <= 0 || (!MosCompat && ReceiveBufferSize % 1024 != 0))
            throw new ArgumentException($"rmem_size must be a positive multiple of 1024 (got {ReceiveBufferSize})");
        if (TimeWaitSeconds < 0)
            throw new ArgumentException($"tcp_tw_interval must be >= 0 (got {TimeWaitSeconds})");
        if (MaxConcurrency <= 0)
            throw new ArgumentException($"max_concurrency must be > 0 (got {MaxConcurrency})");
        if (MosCompat && (ValidateRst || ReportChecksumErrors || AdoptMidstream))
            throw new ArgumentException("ValidateRst, ReportChecksumErrors and AdoptMidstream are not mOS behaviour and cannot be combined with MosCompat");
    }
}
