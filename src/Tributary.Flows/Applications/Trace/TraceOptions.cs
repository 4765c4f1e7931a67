namespace Tributary.Flows.Applications.Trace;

/// <summary>The options of the reference tracer (TRACER.md §2.1), by their <c>flows trace</c> names.</summary>
public sealed record TraceOptions
{
    public string? SynFilter { get; init; }
    public string? OrphanFilter { get; init; }
    /// <summary><c>--raw-filter</c>: a raw socket with this filter; "none" = a raw socket without filter.</summary>
    public string? RawFilter { get; init; }
    /// <summary><c>--second-listener</c>: a second stream listener with this SYN filter ("none" = no filter).</summary>
    public string? SecondListener { get; init; }
    public bool NoPeek { get; init; }
    public bool PeekForce { get; init; }
    public bool OverlapLast { get; init; }
    /// <summary><c>--ude 1</c> or <c>--ude 2</c> (0 = none).</summary>
    public int Ude { get; init; }
    public bool NoBuffers { get; init; }
    public Side? StopSide { get; init; }
    public int StopAt { get; init; }
    public int UnregisterAt { get; init; }
    public MonitorEvent UnregisterEvent { get; init; } = MonitorEvent.PacketIn;
    public HookPoint UnregisterHook { get; init; } = HookPoint.Receive;
    public bool UnregisterListener { get; init; }
    public bool DrainOnError { get; init; }
    public int TailMilliseconds { get; init; } = 200;
    /// <summary><c>--timer-ms</c>; negative = no timer.</summary>
    public int TimerMilliseconds { get; init; } = -1;
    public bool OnlyReceive { get; init; }
    public bool Dump { get; init; }
    public int PeekAt { get; init; }
    public int DropAt { get; init; }
    public bool ShowBuffers { get; init; }
    public bool NoPreamble { get; init; }
}
