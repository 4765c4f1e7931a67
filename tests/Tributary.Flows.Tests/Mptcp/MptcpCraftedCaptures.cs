using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// Hand-built MPTCP captures written as pcap files, for cases no lab produces on demand (packets of several paths out of
/// order, a peer that stops sending DSS), so that tshark can read the very same packets as the tracker.
/// </summary>
internal sealed class MptcpCraftedCaptures : IDisposable
{
    private readonly List<byte[]> _frames = [];

    public MptcpCraftedCaptures(string name) =>
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"trib-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");

    public string Path { get; }

    public void Send(string src, ushort sport, string dst, ushort dport, byte flags, uint seq, uint ack, byte[] options, int payload = 0) =>
        _frames.Add(Frames.Tcp(src, sport, dst, dport, flags, seq, ack, Frames.Bytes('x', payload), options: options));

    /// <summary>Writes the frames (1 ms apart) and returns the file's path.</summary>
    public string Write()
    {
        using (PcapWriter w = PcapWriter.Create(Path, LinkType.Ethernet))
        {
            long t = 1_000_000_000;
            foreach (byte[] f in _frames)
                w.Write(f, f.Length, t += 1_000_000, LinkType.Ethernet);
        }
        return Path;
    }

    public void Dispose() => File.Delete(Path);
}
