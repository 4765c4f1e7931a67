namespace Tributary.Flows;

/// <summary>A monitoring callback (mOS <c>callback_t</c>): the socket is the flow socket for flow events, the listener or raw socket for orphan/raw events.</summary>
public delegate void MonitorCallback(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent);

/// <summary>A user-defined event's filter (mOS <c>filter_t</c>): runs once per occurrence of the base event; true raises the event.</summary>
public delegate bool EventFilter(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent, ReadOnlyMemory<byte> argument);

/// <summary>A one-shot user timer (mOS <c>mtcp_settimer</c>).</summary>
public delegate void MonitorTimerCallback(MonitorContext context, int timerId);
