namespace Tributary.Mptcp;

/// <summary>Plugin priorities (MPTCPD_PLUGIN_PRIORITY_*): numerically lower is more favoured.</summary>
public static class PluginPriority
{
    public const int High = -20;
    public const int Default = 0;
    public const int Low = 19;
}
