namespace Tributary.Flows.Applications.Nat;

/// <summary>A flow's translation, kept in its flow socket's <see cref="MonitorSocket.UserContext"/> (mOS nat.c's uctx).</summary>
internal sealed class NatBinding(ushort port)
{
    /// <summary>The port the flow's client→server packets leave with, from the pool.</summary>
    public ushort Port { get; } = port;
}
