using System.Buffers.Binary;
using Tributary.Capture.Live;
using Tributary.Netlink;

namespace Tributary.Capture.Tests.Live;

/// <summary>
/// <see cref="LiveCapture.OpenGroup"/> on a veth pair between two namespaces created here, with real TCP connections:
/// the group's captures together hold exactly the packets of a plain capture of the same interface, and each
/// connection (both directions) lies wholly in one of them.
/// </summary>
public sealed class FanoutGroupTests
{
    private const int Connections = 40;

    [KernelFact("python3")]
    public void A_group_shares_the_packets_by_connection_without_loss_or_duplicates()
    {
        using var pair = new VethPair();
        LiveCapture[] group = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.OpenGroup("vb", 2));
        try
        {
            using LiveCapture plain = NetworkNamespace.Run(pair.B.Path, () => LiveCapture.Open("vb"));
            Assert.True(group[0].FanoutGroup >= 0);
            Assert.Equal(group[0].FanoutGroup, group[1].FanoutGroup);
            Assert.Equal(-1, plain.FanoutGroup);

            LiveCapture[] all = [plain, .. group];
            var frames = all.Select(_ => new List<byte[]>()).ToArray();
            Thread[] readers = [.. all.Select((c, i) => new Thread(() =>
            {
                while (c.Read(out Packet p, -1) == PacketReadResult.Packet)
                {
                    lock (frames[i])
                        frames[i].Add(p.Data.ToArray());
                }
            }))];
            foreach (Thread t in readers)
                t.Start();
            try
            {
                RunConnections(pair);
                int Count(int i)
                {
                    lock (frames[i])
                        return frames[i].Count;
                }
                // Everything the plain capture saw has reached the group too (blocks are handed over within 10 ms).
                TaskTimeouts.WaitUntil(() => Count(0) > 0 && Count(1) + Count(2) >= Count(0), what: "the group to catch up");
                Thread.Sleep(300);
            }
            finally
            {
                foreach (LiveCapture c in all)
                    c.Stop();
                foreach (Thread t in readers)
                    t.Join();
            }

            // The same packets of the connections, none twice, none missing (other traffic, such as the interfaces'
            // IPv6 announcements, may have come before every capture was open).
            IEnumerable<string> Ours(IEnumerable<byte[]> f) => f.Where(x => Connection(x) is not null).Select(Convert.ToHexString).Order();
            Assert.Equal(Ours(frames[0]), Ours(frames[1].Concat(frames[2])));
            Assert.True(frames[0].Count(x => Connection(x) is not null) >= Connections * 8); // handshake, data, echo, teardown

            // Every connection in exactly one capture of the group, both directions there.
            HashSet<string>[] connections = [.. frames[1..].Select(f => f.Select(Connection).OfType<string>().ToHashSet())];
            Assert.Empty(connections[0].Intersect(connections[1]));
            Assert.Equal(Connections, connections[0].Count + connections[1].Count);
            Assert.All(connections, c => Assert.NotEmpty(c)); // 2^-39 that the hash put all 40 on one side
            foreach (List<byte[]> capture in frames[1..])
            {
                var directions = capture.Select(Direction).OfType<string>().ToHashSet();
                Assert.Equal(2 * capture.Select(Connection).OfType<string>().Distinct().Count(), directions.Count);
            }
        }
        finally
        {
            foreach (LiveCapture c in group)
                c.Dispose();
        }
    }

    [KernelFact]
    public void A_group_of_one_is_a_capture_with_a_group_id_and_bad_counts_are_refused()
    {
        using var ns = TestNetworkNamespace.Create("fan");
        LiveCapture[] one = NetworkNamespace.Run(ns.Path, () => LiveCapture.OpenGroup("lo", 1));
        using (one[0])
            Assert.True(one[0].FanoutGroup >= 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveCapture.OpenGroup("lo", 0));
        CaptureSystemException missing = Assert.Throws<CaptureSystemException>(() => NetworkNamespace.Run(ns.Path, () => LiveCapture.OpenGroup("nosuch0", 2)));
        Assert.Contains("nosuch0", missing.Message, StringComparison.Ordinal);
    }

    /// <summary>Forty short TCP connections from A to a server in B, each sending 1000 bytes and reading them back.</summary>
    private static void RunConnections(VethPair pair)
    {
        string server = $$"""
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.211.0.2", 5000)); s.listen(64); print("ready", flush=True)
for i in range({{Connections}}):
    c, _ = s.accept()
    data = b""
    while len(data) < 1000:
        data += c.recv(4096)
    c.sendall(data); c.close()
""";
        using var listener = new BackgroundProcess("ip", "netns", "exec", pair.B.Name, "python3", "-c", server);
        TaskTimeouts.WaitUntil(() => listener.Output.Contains("ready", StringComparison.Ordinal), what: "the python server");
        string client = $$"""
import socket
for i in range({{Connections}}):
    c = socket.create_connection(("10.211.0.2", 5000)); c.sendall(b"x" * 1000)
    got = b""
    while len(got) < 1000:
        got += c.recv(4096)
    c.close()
""";
        pair.A.Exec("python3", "-c", client).EnsureSuccess("python client");
    }

    /// <summary>"a:p-b:p" of an Ethernet IPv4 TCP frame with the lower endpoint first, else null.</summary>
    private static string? Connection(byte[] f)
    {
        if (Endpoints(f) is not var (a, b))
            return null;
        return string.CompareOrdinal(a, b) < 0 ? $"{a}-{b}" : $"{b}-{a}";
    }

    private static string? Direction(byte[] f) => Endpoints(f) is var (a, b) ? $"{a}>{b}" : null;

    private static (string, string)? Endpoints(byte[] f)
    {
        if (f.Length < 54 || BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) != 0x0800 || f[23] != 6)
            return null;
        int l4 = 14 + (f[14] & 15) * 4;
        return ($"{new System.Net.IPAddress(f.AsSpan(26, 4))}:{BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4))}",
            $"{new System.Net.IPAddress(f.AsSpan(30, 4))}:{BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + 2))}");
    }
}
