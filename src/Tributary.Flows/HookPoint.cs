namespace Tributary.Flows;

/// <summary>Where a callback runs (mOS <c>MOS_HK_SND</c>, <c>MOS_HK_RCV</c>, <c>MOS_NULL</c>; INVENTORY §5).</summary>
public enum HookPoint
{
    /// <summary>After the sender side's stack update (the only hook where a drop or rewrite changes what the receiver sees).</summary>
    Send = 0,
    /// <summary>After the receiver side's stack update, including reassembly.</summary>
    Receive = 1,
    /// <summary>Flow-less events: orphans, new data, errors, raw packets.</summary>
    Null = 2,
}
