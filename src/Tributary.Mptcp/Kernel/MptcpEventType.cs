namespace Tributary.Mptcp;

/// <summary>The events of the "mptcp_pm_events" group (enum mptcp_event_type, &lt;linux/mptcp_pm.h&gt;).</summary>
public enum MptcpEventType : byte
{
    Unspecified = 0,
    Created = 1,
    Established = 2,
    Closed = 3,
    Announced = 6,
    Removed = 7,
    SubflowEstablished = 10,
    SubflowClosed = 11,
    SubflowPriority = 13,
    ListenerCreated = 15,
    ListenerClosed = 16,
}
