namespace Tributary.Flows;

/// <summary>A side of a monitored connection (mOS <c>MOS_SIDE_CLI/SVR/BOTH</c>).</summary>
public enum Side
{
    /// <summary>The client's emulated stack (it receives server→client bytes).</summary>
    Client = 0,
    /// <summary>The server's emulated stack (it receives client→server bytes).</summary>
    Server = 1,
    /// <summary>Both sides: raw-socket and orphan events, and MOS_STOP_MON for both sides.</summary>
    Both = 2,
}
