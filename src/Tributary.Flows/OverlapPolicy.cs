namespace Tributary.Flows;

/// <summary>Which copy of overlapping bytes a receive buffer keeps (mOS <c>MOS_OVERLAP_POLICY_*</c>).</summary>
public enum OverlapPolicy
{
    /// <summary>Keep the bytes already stored (default).</summary>
    First = 0,
    /// <summary>Overwrite with the newest bytes.</summary>
    Last = 1,
}
