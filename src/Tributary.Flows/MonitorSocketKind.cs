namespace Tributary.Flows;

/// <summary>The kinds of monitor socket (mOS <c>MOS_SOCK_MONITOR_*</c>).</summary>
public enum MonitorSocketKind
{
    /// <summary>A stream listener: filters, registrations and defaults for the flows it joins.</summary>
    StreamListener,
    /// <summary>A raw packet tap: PacketIn and Orphan at the Null hook.</summary>
    Raw,
    /// <summary>The per-flow socket created for each (flow, matching listener); the socket flow callbacks receive.</summary>
    Flow,
}
