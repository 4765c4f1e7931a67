namespace Tributary.Flows.Internal;

/// <summary>
/// One emulated TCP endpoint of a connection (mOS <c>tcp_stream</c> + its send/receive variables, only what a
/// monitor needs). The client side models the client's TCP: it sends client→server segments and receives
/// server→client bytes into its buffer.
/// </summary>
internal struct SideState
{
    /// <summary>mOS state number; <see cref="ClosedReserved"/> = mOS's internal "finished" state, reported as Closed.</summary>
    public byte State;
    public const byte ClosedReserved = 11;

    public bool Exists;
    /// <summary>Some socket of the flow still monitors this side (mOS <c>status_mgmt</c>).</summary>
    public bool Monitored;
    /// <summary>Some socket of the flow wants this side's bytes buffered (mOS <c>buffer_mgmt</c>).</summary>
    public bool BufferManaged;
    public bool IsFinSent;
    public bool HaveReset;
    /// <summary>Teardown callbacks of this side have started (mOS freed it; MosCompat B21 reads).</summary>
    public bool Destroyed;
    /// <summary>Receive-buffer allocation failed once (MosCompat B32 / default continue unbuffered).</summary>
    public bool BufferFailed;
    public bool OverlapLast;

    // Send variables (this side as a sender).
    public uint Iss;
    public uint SndNxt;
    public uint Fss;

    // Receive variables (this side as a receiver of the peer's bytes).
    public uint Irs;
    public uint RcvNxt;
    public uint RcvWnd;

    /// <summary>Receive buffer handle, -1 if none.</summary>
    public int Buffer;
    /// <summary>Out-of-order ranges of an unbuffered side (default mode), -1 if none.</summary>
    public int Ranges;
    /// <summary>Stream offset of rcv_nxt for sequence tracking without a buffer (default mode).</summary>
    public long RcvNextOffset;

    /// <summary>mOS stream number (diagnostic lines).</summary>
    public int StreamNumber;
    /// <summary>When this side entered TIME_WAIT (µs), for the TIME_WAIT hold.</summary>
    public long TimeWaitSinceUs;
    /// <summary>Time (µs) this side became CLOSED or TIME_WAIT.</summary>
    public long DoneSinceUs;

    public readonly bool IsClosed => State is 0 or ClosedReserved;

    public readonly TcpState PublicState => State == ClosedReserved ? TcpState.Closed : (TcpState)State;

    public void Reset()
    {
        this = default;
        Buffer = -1;
        Ranges = -1;
        State = (byte)TcpState.Listen;
    }
}
