using Tributary.Capture.Decoding;
using Tributary.Capture.Files;
using Tributary.Capture.Tests.Corpus;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Decoding;

/// <summary>IPv4 header and TCP/UDP checksum verdicts equal tshark's (ip/tcp/udp.check_checksum on) packet by packet.</summary>
public sealed class ChecksumTsharkTests(ITestOutputHelper output)
{
    [ToolTheoryTshark]
    [InlineData("pub__tcpreplay__test.pcap")]
    [InlineData("gen__misc_v4.pcap")]
    [InlineData("gen__http_v6_nsec.pcap")]
    [InlineData("pub__ppp__pcapng_example_snap128.pcapng")]
    [InlineData("pub__cs__http_espn.pcapng")]
    [InlineData("gen__mptcp_any_sll2.pcap")]
    public void Verdicts_match_tshark(string name)
    {
        string path = CorpusFiles.PathOf(name);
        string[] lines = ProcessRunner.Run("tshark", ["-n", "-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-T", "fields",
            "-E", "occurrence=f", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "udp.checksum.status", "-e", "frame.protocols"],
            timeout: TimeSpan.FromMinutes(2)).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var failures = new List<string>();
        int index = 0, good = 0, bad = 0;
        using PacketSource source = CaptureFile.Open(path);
        while (source.TryReadNext(out Packet p))
        {
            string[] t = lines[index++].Split('\t');
            PacketDecoder.Decode(p, out DecodedPacket d);
            string[] chain = t[3].Split(':');
            int ip = Array.FindIndex(chain, c => c is "ip" or "ipv6");
            if (d.IpVersion == 4 && chain[ip] == "ip" && t[0] is "0" or "1")
            {
                bool ok = Checksums.VerifyIPv4Header(d);
                if (ok != (t[0] == "1"))
                    failures.Add($"frame {p.Number}: IPv4 header checksum tshark {t[0]}, ours {ok}");
            }
            // tshark statuses: 0 bad, 1 good, 2 unverified, 3 not present (UDP 0).
            string theirs = d.IsTcp ? t[1] : d.IsUdp ? t[2] : "";
            if (theirs.Length == 0 || d.Status != DecodeStatus.Ok)
                continue;
            ChecksumResult ours = Checksums.VerifyTransport(d);
            string mapped = ours switch { ChecksumResult.Good => "1", ChecksumResult.Bad => "0", ChecksumResult.Absent => "3", _ => "2" };
            if (mapped != theirs)
                failures.Add($"frame {p.Number}: {(d.IsTcp ? "TCP" : "UDP")} checksum tshark {theirs}, ours {ours}");
            good += ours == ChecksumResult.Good ? 1 : 0;
            bad += ours == ChecksumResult.Bad ? 1 : 0;
        }
        output.WriteLine($"{name}: {good} good, {bad} bad transport checksums");
        foreach (string f in failures.Take(20))
            output.WriteLine(f);
        Assert.Empty(failures);
    }
}
