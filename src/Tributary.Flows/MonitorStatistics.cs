namespace Tributary.Flows;

/// <summary>Counters of a <see cref="MonitorContext"/> (events are counted when raised, whether or not a callback is registered).</summary>
public sealed class MonitorStatistics
{
    internal long PacketsField;
    internal long TcpPacketsField;
    internal long FlowsField;
    internal long OrphansField;
    internal long RetransmissionsField;
    internal long ErrorsField;
    internal long MalformedField;
    internal long ChecksumErrorsField;
    internal long ForwardedField;
    internal long DroppedField;
    internal long DestroyedField;
    internal long TimeoutsField;
    internal long ClosedField;

    /// <summary>Frames processed.</summary>
    public long Packets => PacketsField;
    /// <summary>Frames carrying a complete TCP segment.</summary>
    public long TcpPackets => TcpPacketsField;
    /// <summary>Flows created.</summary>
    public long Flows => FlowsField;
    /// <summary>TCP packets without flow.</summary>
    public long Orphans => OrphansField;
    /// <summary>Retransmissions detected (Retransmission events raised).</summary>
    public long Retransmissions => RetransmissionsField;
    /// <summary>Error events raised.</summary>
    public long Errors => ErrorsField;
    /// <summary>Frames whose length fields do not fit the captured bytes, or broken headers.</summary>
    public long Malformed => MalformedField;
    /// <summary>Segments ignored because of a bad IPv4 header or TCP checksum.</summary>
    public long ChecksumErrors => ChecksumErrorsField;
    /// <summary>Frames forwarded (inline mode; counted in passive mode as frames that would be).</summary>
    public long Forwarded => ForwardedField;
    /// <summary>Frames dropped by a verdict or discarded as invalid.</summary>
    public long Dropped => DroppedField;
    /// <summary>Flows destroyed.</summary>
    public long Destroyed => DestroyedField;
    /// <summary>Flows destroyed by the idle timeout.</summary>
    public long Timeouts => TimeoutsField;
    /// <summary>
    /// Flows destroyed because they closed: both sides done after FIN or RST, the TIME_WAIT hold expired, or a dropped
    /// first SYN (inline). With <see cref="Timeouts"/> this makes <see cref="Destroyed"/>; counted apart so that a reader
    /// on another thread (<see cref="Telemetry.FlowMetrics"/>) never sees one end counted under both reasons.
    /// </summary>
    public long Closed => ClosedField;
}
