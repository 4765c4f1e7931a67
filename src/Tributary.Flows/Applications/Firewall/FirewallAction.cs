namespace Tributary.Flows.Applications.Firewall;

/// <summary>What a firewall rule does with a connection's first SYN (mOS simple_firewall FRA_ACCEPT / FRA_DROP).</summary>
public enum FirewallAction
{
    /// <summary>Let the SYN through and stop monitoring the flow.</summary>
    Accept,
    /// <summary>Drop the SYN (and every retransmission of it): the connection never establishes.</summary>
    Drop,
}
