using System.Buffers.Binary;
using Tributary.Capture.Files;

namespace Tributary.Capture.Tests.Files;

/// <summary>
/// A two-record pcap whose first frame's 1,000-byte payload holds ten plausible record headers 76 bytes apart (a fake
/// chain a boundary search can take), followed by a 60-byte record: the record starts are 24 and 24 + 16 + 1000.
/// </summary>
internal static class FakeChainCapture
{
    public static void Write(string path)
    {
        byte[] payload = new byte[1000];
        for (int k = 0; k < 10; k++)
        {
            Span<byte> h = payload.AsSpan(k * 76, 16);
            BinaryPrimitives.WriteUInt32LittleEndian(h, 1_700_000_000);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 60);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 60);
        }
        using var w = new PcapWriter(File.Create(path), LinkType.Ethernet);
        w.Write(payload, payload.Length, 1_700_000_000_000_000_000L, LinkType.Ethernet);
        w.Write(new byte[60], 60, 1_700_000_000_000_001_000L, LinkType.Ethernet);
    }
}
