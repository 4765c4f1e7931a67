using Tributary.Capture.Files;
using Tributary.Capture.Tests.Corpus;

namespace Tributary.Capture.Tests.Files;

/// <summary>Files written here are read by the real tools exactly like the originals.</summary>
public sealed class CaptureWriterTests
{
    private static string Tshark(string path) => ProcessRunner.Run("tshark", ["-n", "-r", path, "-T", "fields", "-e", "frame.len",
        "-e", "frame.cap_len", "-e", "frame.time_epoch", "-e", "frame.protocols"], timeout: TimeSpan.FromMinutes(1)).EnsureSuccess("tshark").StandardOutput;

    [ToolFact("tshark")]
    public void Pcapng_with_several_link_types_reads_in_tshark_like_the_original()
    {
        // (pcapng_example_snap128 holds a timestamp beyond year 2262, outside the nanosecond range of Packet.TimestampNanoseconds.)
        string original = CorpusFiles.PathOf("pub__ppp__many_interfaces.pcapng");
        using var dir = new TempDirectory();
        string copy = dir.File("copy.pcapng");
        using (PacketSource s = CaptureFile.Open(original))
        using (PcapNgWriter w = PcapNgWriter.Create(copy))
        {
            while (s.TryReadNext(out Packet p))
                w.Write(p);
        }
        Assert.Equal(Tshark(original), Tshark(copy));
    }

    [ToolFact("tshark", "tcpdump")]
    public void Nanosecond_pcap_reads_in_tshark_and_tcpdump_like_the_original()
    {
        string original = CorpusFiles.PathOf("gen__http_v6_nsec.pcap");
        using var dir = new TempDirectory();
        string copy = dir.File("copy.pcap");
        using (PacketSource s = CaptureFile.Open(original))
        using (PcapWriter w = PcapWriter.Create(copy, LinkType.Ethernet, nanoseconds: true))
        {
            while (s.TryReadNext(out Packet p))
                w.Write(p);
        }
        Assert.Equal(Tshark(original), Tshark(copy));
        string[] args = ["-nn", "--nano", "-r"];
        Assert.Equal(ProcessRunner.Run("tcpdump", [.. args, original]).StandardOutput, ProcessRunner.Run("tcpdump", [.. args, copy]).StandardOutput);
        Assert.Equal(File.ReadAllBytes(original).Length, File.ReadAllBytes(copy).Length);
    }
}
