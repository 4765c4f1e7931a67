using System.Globalization;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// tshark 4.0's view of the MPTCP connections in a capture, worked out from its per-frame fields alone: the
/// <c>tcp.stream</c>s it puts in each <c>mptcp.stream</c> (<c>-o mptcp.analyze_mptcp:TRUE</c>), each end's key, token
/// (<c>mptcp.expected_token</c>) and IDSN (<c>mptcp.expected_idsn</c>) from the MP_CAPABLE frames, and <c>tcp.len</c>
/// summed per direction, where the client is the sender of the initial subflow's SYN and a join's opener is the
/// client when its SYN carries the server's token (RFC 8684 §3.2).
/// </summary>
internal static class TsharkMptcp
{
    internal sealed record Frame(int Stream, int? MptcpStream, string Source, bool Syn, bool Ack, int Length, uint? ReceiverToken,
        uint? ExpectedToken, ulong? SenderKey, ulong? ExpectedIdsn, bool HasMptcp);

    internal sealed record Connection(int MptcpStream, int[] Streams, ulong? ClientKey, ulong? ServerKey, uint? ClientToken, uint? ServerToken,
        ulong? ClientIdsn, ulong? ServerIdsn, long BytesC2s, long BytesS2c, Dictionary<int, (long C2s, long S2c)> StreamBytes);

    private static readonly string[] s_fields =
    [
        "tcp.stream", "mptcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.flags.syn", "tcp.flags.ack", "tcp.len",
        "tcp.options.mptcp.recvtok", "mptcp.expected_token", "tcp.options.mptcp.sendkey", "mptcp.expected_idsn", "tcp.options.mptcp.subtype",
    ];

    public static List<Frame> Read(string pcap)
    {
        string[] args = ["-r", pcap, "-o", "mptcp.analyze_mptcp:TRUE", "-T", "fields", "-E", "occurrence=f", .. s_fields.SelectMany(f => new[] { "-e", f })];
        string output = ProcessRunner.Run("tshark", args, timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("tshark").StandardOutput;
        var frames = new List<Frame>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            if (f[0].Length == 0)
                continue; // not TCP
            frames.Add(new Frame(
                int.Parse(f[0], CultureInfo.InvariantCulture),
                f[1].Length == 0 ? null : int.Parse(f[1], CultureInfo.InvariantCulture),
                (f[2].Length > 0 ? f[2] : f[3]) + "/" + f[4],
                f[5] is "1" or "True", f[6] is "1" or "True",
                int.Parse(f[7], CultureInfo.InvariantCulture),
                f[8].Length == 0 ? null : uint.Parse(f[8], CultureInfo.InvariantCulture),
                f[9].Length == 0 ? null : uint.Parse(f[9], CultureInfo.InvariantCulture),
                f[10].Length == 0 ? null : ulong.Parse(f[10], CultureInfo.InvariantCulture),
                f[11].Length == 0 ? null : ulong.Parse(f[11], CultureInfo.InvariantCulture),
                f[12].Length > 0));
        }
        return frames;
    }

    /// <summary>The sender of a stream's first SYN without ACK, else the receiver of its first SYN/ACK.</summary>
    public static string? SynSender(IEnumerable<Frame> stream)
    {
        foreach (Frame f in stream)
        {
            if (f.Syn && !f.Ack)
                return f.Source;
        }
        return null;
    }

    public static List<Connection> Connections(List<Frame> frames)
    {
        var result = new List<Connection>();
        var mptcpOf = frames.Where(f => f.MptcpStream is not null).GroupBy(f => f.Stream).ToDictionary(g => g.Key, g => g.First().MptcpStream!.Value);
        var byStream = frames.GroupBy(f => f.Stream).ToDictionary(g => g.Key, g => g.ToList());
        foreach (IGrouping<int, int> group in mptcpOf.GroupBy(kv => kv.Value, kv => kv.Key).OrderBy(g => g.Key))
        {
            int[] streams = [.. group.Order()];
            // The initial subflow is the one with MP_CAPABLE keys; its client sent the SYN.
            int initial = streams.First(s => byStream[s].Any(f => f.SenderKey is not null));
            string client = SynSender(byStream[initial]) ?? throw new InvalidOperationException($"tcp.stream {initial}: no SYN");
            Frame? clientKeyFrame = byStream[initial].FirstOrDefault(f => f.SenderKey is not null && f.Source == client);
            Frame? serverKeyFrame = byStream[initial].FirstOrDefault(f => f.SenderKey is not null && f.Source != client);
            uint? clientToken = clientKeyFrame?.ExpectedToken, serverToken = serverKeyFrame?.ExpectedToken;
            long c2s = 0, s2c = 0;
            var perStream = new Dictionary<int, (long, long)>();
            foreach (int s in streams)
            {
                string opener = SynSender(byStream[s]) ?? throw new InvalidOperationException($"tcp.stream {s}: no SYN");
                Frame? join = byStream[s].FirstOrDefault(f => f.Syn && !f.Ack && f.ReceiverToken is not null);
                bool openerIsClient = s == initial || join?.ReceiverToken == serverToken;
                if (s != initial && join?.ReceiverToken != serverToken && join?.ReceiverToken != clientToken)
                    throw new InvalidOperationException($"tcp.stream {s}: join token matches neither end");
                long a = byStream[s].Where(f => f.Source == opener).Sum(f => (long)f.Length);
                long b = byStream[s].Where(f => f.Source != opener).Sum(f => (long)f.Length);
                (long sc, long ss) = openerIsClient ? (a, b) : (b, a);
                perStream[s] = (sc, ss);
                c2s += sc;
                s2c += ss;
            }
            result.Add(new Connection(group.Key, streams, clientKeyFrame?.SenderKey, serverKeyFrame?.SenderKey, clientToken, serverToken,
                clientKeyFrame?.ExpectedIdsn, serverKeyFrame?.ExpectedIdsn, c2s, s2c, perStream));
        }
        return result;
    }
}
