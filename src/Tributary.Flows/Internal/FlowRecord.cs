namespace Tributary.Flows.Internal;

/// <summary>A tracked connection: both sides' keys and states, its sockets and its timers. Lives in a pooled array.</summary>
internal struct FlowRecord
{
    public FlowKey ClientKey;
    public FlowKey ServerKey;
    public uint ClientHash;
    public uint ServerHash;
    public SideState Client;
    public SideState Server;

    /// <summary>First flow socket of the chain (creation order), or null.</summary>
    public MonitorSocket? FirstSocket;
    public MonitorSocket? LastSocket;

    /// <summary>Union of the flow sockets' active events per hook (Send, Receive, Null): most dispatches end here.</summary>
    public ulong SendMask;
    public ulong ReceiveMask;
    public ulong NullMask;

    public bool InUse;
    public bool ServerKeyed;
    public bool Destroying;
    public bool OnTimeoutList;
    /// <summary>Bit 0: client side has a pending CONN_NEW_DATA; bit 1: server side.</summary>
    public byte PendingNewData;
    public int Generation;
    /// <summary>Order of creation (ties between equal due times, B14).</summary>
    public long CreationSequence;
    /// <summary>Last activity in ms ticks (INVENTORY §6.7: client ACKs sent, anything the client receives).</summary>
    public long LastActiveTick;
    /// <summary>Next flow in mOS's creation-ordered timeout list (MosCompat), or -1.</summary>
    public int TimeoutNext;
    public int TimeoutPrev;
    /// <summary>Last TCP states seen by the flows-stats workload, etc.: free for applications.</summary>
    public int NextFree;
}
