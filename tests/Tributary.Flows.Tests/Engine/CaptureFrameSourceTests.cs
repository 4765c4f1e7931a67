using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Tests.Engine;

/// <summary><see cref="CaptureFrameSource.Open"/> reads capture files through a buffer, never through a mapping.</summary>
public class CaptureFrameSourceTests
{
    /// <summary>
    /// A file cut short while it is read (a capture rotated or rewritten under the monitor): read, the reader meets the
    /// short file and reports it as a truncated record at its offset. A mapped file would kill the process with SIGBUS
    /// at the first access past the new end.
    /// </summary>
    [Fact]
    public void A_file_cut_short_while_read_is_reported_as_truncated_not_a_crash()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tributary-cut-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            var frame = new byte[1400];
            frame[12] = 0x08; // IPv4 ethertype; the rest does not matter to the reader
            using (PcapWriter writer = PcapWriter.Create(path, LinkType.Ethernet))
            {
                for (int i = 0; i < 3000; i++) // 4.2 MB: several of the reader's buffers
                    writer.Write(frame, frame.Length, i * 1_000_000L, LinkType.Ethernet);
            }
            using CaptureFrameSource source = CaptureFrameSource.Open(path);
            Assert.False(((CaptureFileReader)source.Source).IsMemoryMapped);
            Assert.True(source.TryRead(out _, out _, out _, out _));
            const long cut = (2 << 20) + 7;
            using (var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                f.SetLength(cut);
            int frames = 1;
            CaptureFileException ex = Assert.Throws<CaptureFileException>(() =>
            {
                while (source.TryRead(out _, out _, out _, out _))
                    frames++;
            });
            Assert.Contains("truncated packet record", ex.Message, StringComparison.Ordinal);
            const int record = 16 + 1400;
            Assert.Equal((cut - 24) / record, frames);  // every whole record before the cut
            Assert.Equal(24 + frames * (long)record, ex.Offset);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
