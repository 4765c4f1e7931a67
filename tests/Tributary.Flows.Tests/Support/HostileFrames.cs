using Tributary.Capture;
using Tributary.Capture.Files;

namespace Tributary.Flows.Tests.Support;

/// <summary>
/// The material of the hostile-stream fuzz tests: up to 400 real frames of every reference scenario and of corpus
/// captures of every link type, and the mutations applied to them.
/// </summary>
internal static class HostileFrames
{
    private static readonly Lazy<List<(byte[] Frame, int LinkType)>> s_seeds = new(Read);

    /// <summary>The seed frames with their link types (shared: do not modify).</summary>
    public static IReadOnlyList<(byte[] Frame, int LinkType)> Seeds() => s_seeds.Value;

    private static List<(byte[] Frame, int LinkType)> Read()
    {
        var seeds = new List<(byte[], int)>();
        var files = Directory.GetFiles(Path.Combine(SharedPaths.Reference, "mos", "pcaps"), "*.pcap").Order().ToList();
        foreach (string name in (string[])["pub__ppp__sll2.pcap", "pub__ppp__null_loopback.pcap", "pub__zeek__http_qinq.pcap",
                     "pub__ppp__one_http_stream_rst.pcap", "pub__mptcp__iperf_mptcp_0_0.pcap", "pub__ppp__raw_ip.pcap",
                     "pub__zeek__ipv6_atomic_frag.pcap", "pub__ppp__frag_http_req.pcap", "gen__misc_v4.pcap"])
            files.Add(Path.Combine(SharedPaths.Corpus, name));
        foreach (string f in files)
        {
            using PacketSource s = CaptureFile.Open(f);
            int n = 0;
            while (s.TryReadNext(out Packet p) && n++ < 400)
                seeds.Add((p.Data.ToArray(), (int)p.LinkType));
        }
        return seeds;
    }

    /// <summary>A mutation of <paramref name="frame"/>: bit flips or bytes in the headers, a truncation, garbage, or the frame as it is.</summary>
    public static byte[] Mutate(Random rng, byte[] frame)
    {
        byte[] m = (byte[])frame.Clone();
        switch (rng.Next(6))
        {
            case 0:
                for (int i = rng.Next(1, 8); i > 0 && m.Length > 0; i--)
                    m[rng.Next(Math.Min(m.Length, 80))] ^= (byte)(1 << rng.Next(8));
                return m;
            case 1:
                return m[..rng.Next(0, m.Length + 1)];
            case 2:
                for (int i = rng.Next(1, 4); i > 0 && m.Length > 0; i--)
                    m[rng.Next(Math.Min(m.Length, 80))] = (byte)rng.Next(256);
                return m;
            case 3:
                if (m.Length > 40)
                    m[rng.Next(14, 40)] = 0xFF; // lengths, offsets, flags
                return m;
            case 4:
                var g = new byte[rng.Next(0, 120)];
                rng.NextBytes(g);
                return g;
            default:
                return m; // unmodified frames keep flows alive
        }
    }

    /// <summary>Hands out each frame from the guarded buffer.</summary>
    public sealed class GuardedSource(ListFrameSource inner, GuardedBuffer guard) : IFrameSource
    {
        public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength)
        {
            if (!inner.TryRead(out ReadOnlySpan<byte> f, out linkType, out timestampMicroseconds, out wireLength))
            {
                frame = default;
                return false;
            }
            frame = guard.Place(f);
            return true;
        }

        public void Dispose()
        {
        }
    }
}
