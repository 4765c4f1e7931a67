namespace Tributary.Mptcp;

/// <summary>
/// The endpoint flags for the addresses of the interfaces that <see cref="Interface"/> matches, used by
/// addr_adv instead of the global addr-flags (mptcpd#280: an LTE path as <c>backup</c>). Written
/// <c>wwan*:subflow+backup</c> in <c>--interface-flags</c> and the <c>interface-flags</c> config key.
/// </summary>
public sealed record InterfaceEndpointFlags(InterfacePattern Interface, MptcpEndpointFlags Flags)
{
    public override string ToString() => $"{Interface}:{Daemon.MptcpdFlags.Format(Flags).Replace(',', '+')}";
}
