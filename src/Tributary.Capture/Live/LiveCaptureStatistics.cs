namespace Tributary.Capture.Live;

/// <summary>
/// The kernel's counters for a live capture socket (PACKET_STATISTICS, tpacket_stats_v3), accumulated
/// since the capture was opened.
/// </summary>
/// <param name="Received">Packets that passed the socket filter (delivered plus dropped), as libpcap's ps_recv.</param>
/// <param name="Dropped">Packets the kernel dropped because the ring was full (libpcap's ps_drop).</param>
/// <param name="FreezeCount">Times the ring was frozen for lack of free blocks (tp_freeze_q_cnt).</param>
public readonly record struct LiveCaptureStatistics(long Received, long Dropped, long FreezeCount);
