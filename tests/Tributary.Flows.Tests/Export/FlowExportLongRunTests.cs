using Tributary.Flows.Applications.Export;
using Tributary.Flows.Tests.Support;
using Xunit.Abstractions;

namespace Tributary.Flows.Tests.Export;

/// <summary>
/// Soak of <c>flows export</c>: under a churn of short flows the active-timeout queue stays in proportion to the open
/// flows, and compacting it changes no exported record, nor the order of records due at the same moment.
/// </summary>
public sealed class FlowExportLongRunTests(ITestOutputHelper output)
{
    private readonly record struct Run(int PeakQueue, int PeakOpen, long Compactions, long Flows, List<byte[]> Messages);

    /// <summary>Exports the churn; the queue's and the open flows' peaks, sampled every few packets, and every IPFIX message.</summary>
    private static Run Export(IEnumerable<(byte[] Frame, long Us)> frames, int idleSeconds, TimeSpan active, int floor, bool keep)
    {
        var messages = new List<byte[]>();
        var writer = new IpfixWriter(m =>
        {
            if (keep)
                messages.Add(m.ToArray());
        }, datagrams: true, now: () => DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000));
        using var ctx = new MonitorContext(new MonitorContextOptions { Forward = false, TcpTimeoutSeconds = idleSeconds });
        var exporter = new FlowExporter(ctx, writer, active);
        Assert.Equal(1024, exporter.DueCompactionFloor);
        exporter.DueCompactionFloor = floor;
        int queue = 0, open = 0, n = 0;
        long last = 0;
        foreach ((byte[] frame, long us) in frames)
        {
            ctx.ProcessPacket(frame, 1, us);
            last = us;
            if (++n % 64 != 0)
                continue;
            queue = Math.Max(queue, exporter.DueQueueCount);
            open = Math.Max(open, exporter.OpenFlows);
        }
        ctx.Finish(last);
        exporter.Finish();
        return new Run(queue, open, exporter.DueCompactions, exporter.ExportedFlows, messages);
    }

    [Fact]
    public void The_active_timeout_queue_stays_in_proportion_to_open_flows_under_churn()
    {
        // 200k flows over ~140 s with a 30-minute active timeout: uncompacted, every flow that ended leaves its entry
        // until its active timeout would have come.
        Run compacted = Export(Churn.Connections(200_000, abandonEvery: 1000), 3600, TimeSpan.FromMinutes(30), 1024, keep: false);
        Run never = Export(Churn.Connections(200_000, abandonEvery: 1000), 3600, TimeSpan.FromMinutes(30), int.MaxValue, keep: false);
        output.WriteLine($"compacted: {compacted with { Messages = [] }}; never: {never with { Messages = [] }}");

        Assert.Equal(200_000, compacted.Flows);
        Assert.True(never.PeakQueue > 150_000, $"{never.PeakQueue}");
        Assert.True(compacted.Compactions > 0);
        long bound = 2 * compacted.PeakOpen + 1024 + 64;
        Assert.True(compacted.PeakQueue <= bound, $"queue {compacted.PeakQueue} > {bound} (open {compacted.PeakOpen})");
        Assert.True(compacted.PeakOpen < 10_000, $"{compacted.PeakOpen}");
    }

    [Fact]
    public void Compacting_the_queue_changes_no_record_nor_the_order_of_records_due_together()
    {
        // Timestamps cut to whole milliseconds: the flows of a batch open in the same millisecond, and their active
        // records (2 s) fall due at the same moment, before their idle end (5 s, with nothing left to export). Every
        // third flow goes quiet.
        IEnumerable<(byte[] Frame, long Us)> Frames() =>
            Churn.Connections(20_000, abandonEvery: 3).Select(f => (f.Frame, f.Us / 1000 * 1000));
        Run compacted = Export(Frames(), 5, TimeSpan.FromSeconds(2), 0, keep: true);
        Run never = Export(Frames(), 5, TimeSpan.FromSeconds(2), int.MaxValue, keep: true);
        output.WriteLine($"compacted: {compacted.Compactions} rebuilds, peak {compacted.PeakQueue}; never: peak {never.PeakQueue}; {never.Messages.Count} messages");

        Assert.True(compacted.Compactions > 10, $"{compacted.Compactions}");
        Assert.Equal(0, never.Compactions);
        Assert.True(compacted.PeakQueue < never.PeakQueue);
        var reader = new IpfixMessages();
        foreach (byte[] m in never.Messages)
            reader.Read(m);
        const ushort FlowEndReason = 136; // IANA IPFIX information element
        Assert.True(reader.Records.Count(r => IpfixMessages.Number(r, FlowEndReason) == 2) > 1000, "active-timeout records");
        Assert.True(reader.Records.Count(r => IpfixMessages.Number(r, FlowEndReason) == 3) > 10_000, "records at a close");
        Assert.Equal(never.Messages.Count, compacted.Messages.Count);
        for (int i = 0; i < never.Messages.Count; i++)
            Assert.True(never.Messages[i].AsSpan().SequenceEqual(compacted.Messages[i]), $"message {i} differs");
    }
}
