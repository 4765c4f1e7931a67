namespace Tributary.Flows.Applications.Midstat;

/// <summary>
/// One connection of the <see cref="ConnectionTable"/>: its endpoints and the emulated TCP state of each endpoint as
/// last reported by a TCP_STATE_CHANGE, or null before the first (a side the monitor has not created yet).
/// </summary>
public sealed record ConnectionRow(FlowEndpoint Client, TcpState? ClientState, FlowEndpoint Server, TcpState? ServerState);
