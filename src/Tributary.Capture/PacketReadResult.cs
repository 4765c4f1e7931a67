namespace Tributary.Capture;

/// <summary>Outcome of <see cref="PacketSource.Read"/>.</summary>
public enum PacketReadResult
{
    /// <summary>A packet was returned.</summary>
    Packet,

    /// <summary>No packet arrived within the timeout (live sources only).</summary>
    Timeout,

    /// <summary>The input ended (end of file, or the live source was stopped).</summary>
    EndOfInput,
}
