namespace Tributary.Flows;

/// <summary>
/// A monitoring event (mOS <c>event_t</c>). Built-in events are single bits, fired in bit order within one
/// dispatch (INVENTORY §4); user-defined events are sequential ids from 4096 returned by
/// <see cref="MonitorContext.DefineEvent"/> and <see cref="MonitorContext.AllocEvent"/>.
/// </summary>
#pragma warning disable CA1027, CA1069, CA1028 // bit values, not a [Flags] set: one event per registration
public enum MonitorEvent : ulong
{
    /// <summary>No event (mOS <c>MOS_NULL_EVENT</c>): the result of a rejected definition.</summary>
    None = 0,
    /// <summary>A packet of a monitored flow (HK_SND on the sender side, HK_RCV on the receiver side); raw sockets at Null.</summary>
    PacketIn = 1UL << 0,
    /// <summary>Deprecated: registrable, never raised (DEVIATIONS B23).</summary>
    PacketOut = 1UL << 1,
    /// <summary>Connection start: the client's first SYN (Send, client) and the server side's SYN (Receive, server).</summary>
    ConnectionStart = 1UL << 2,
    /// <summary>Deprecated: registrable, never raised (DEVIATIONS B23).</summary>
    ConnectionSetup = 1UL << 3,
    /// <summary>New in-order bytes in a side's receive buffer (Null hook, side = the receiving side).</summary>
    ConnectionNewData = 1UL << 4,
    /// <summary>Receive-path error: out-of-window payload, buffer outrun, data beyond FIN (Null hook).</summary>
    Error = 1UL << 5,
    /// <summary>Idle timeout (default mode, before the teardown's state change; B23).</summary>
    Timeout = 1UL << 6,
    /// <summary>A side's TCP state changed (several changes in one packet give one event).</summary>
    TcpStateChange = 1UL << 7,
    /// <summary>A packet without flow (Null hook, side Both).</summary>
    Orphan = 1UL << 8,
    /// <summary>A retransmission seen by the receiving side.</summary>
    Retransmission = 1UL << 9,
    /// <summary>The side is being destroyed.</summary>
    ConnectionEnd = 1UL << 10,
    /// <summary>Debug messages (only with mOS's -DENABLE_DEBUG_EVENT; never raised here).</summary>
    DebugMessage = 1UL << 11,
}
#pragma warning restore CA1027, CA1069, CA1028
