using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Export;
using Tributary.Flows.Applications.Firewall;
using Tributary.Flows.Applications.Midstat;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Flows.Applications.Nat;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Applications;

/// <summary>
/// The applications on the engine (midstat's table, the flow exporter, NAT, the firewall) under the hostile streams
/// of the engine's fuzz test: real frames of every link type, mutated. Nothing may throw, no read may pass a frame's
/// end, and each application's own accounting must hold against an independent count: the table's rows against the
/// engine's live flows, the exported records (read back by an independent IPFIX reader) against a second listener's
/// count of the same packets, the NAT's ports against its flows, and no SYN that a DROP rule matches in the
/// forwarded frames; the MPTCP connection tracker's rows, numbering and subflow ownership through merges. Even seeds
/// run with MosCompat, odd ones without.
/// </summary>
public sealed class ApplicationFuzzTests
{
    private const long Start = 1_700_000_000_000_000L;

    public static TheoryData<int> Seeds() => FuzzSeeds.Of(31, 32);

    /// <summary>20,000 mutated frames 0–3 ms apart, and the time of the last one.</summary>
    private static (ListFrameSource Source, long Last) Stream(int seed)
    {
        var rng = new Random(seed);
        IReadOnlyList<(byte[] Frame, int LinkType)> seeds = HostileFrames.Seeds();
        var source = new ListFrameSource();
        long t = Start;
        for (int i = 0; i < 20_000; i++)
        {
            (byte[] f, int lt) = seeds[rng.Next(seeds.Count)];
            source.Add(HostileFrames.Mutate(rng, f), t += rng.Next(0, 3_000_000) / 1000, lt);
        }
        return (source, t);
    }

    private static MonitorContextOptions Options(int seed, bool forward) =>
        new() { MosCompat = seed % 2 == 0, Forward = forward, TcpTimeoutSeconds = 5, TimeWaitSeconds = 1, MaxConcurrency = 4096 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_midstat_table_has_a_row_for_every_live_flow(int seed)
    {
        (ListFrameSource source, long last) = Stream(seed);
        using var guard = new GuardedBuffer();
        using var context = new MonitorContext(Options(seed, forward: false));
        var table = new ConnectionTable(context);
        var text = new StringWriter();
        int mismatches = 0;
        // Every 500th packet: the table is printed and compared with the engine's count of flows.
        long packets = 0;
        context.CreateStreamListener().RegisterCallback(MonitorEvent.PacketIn, HookPoint.Send, (ctx, _, _, _) =>
        {
            if (++packets % 500 == 0)
            {
                table.Write(text);
                if (table.Count != ctx.ActiveFlows)
                    mismatches++;
            }
        });
        context.Run(new HostileFrames.GuardedSource(source, guard));
        Assert.Equal(0, mismatches);
        Assert.Equal(context.ActiveFlows, table.Count);
        Assert.Equal(table.Count, table.Snapshot().Count);
        Assert.True(text.ToString().Length > 0);
        context.Finish(last + 60_000_000); // every flow times out
        Assert.Equal((0, 0), (context.ActiveFlows, table.Count));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_packet_of_a_flow_is_exported_once(int seed)
    {
        (ListFrameSource source, long last) = Stream(seed);
        using var guard = new GuardedBuffer();
        using var context = new MonitorContext(Options(seed, forward: false));
        var reader = new IpfixMessages();
        var writer = new IpfixWriter(m => reader.Read(m.Span), datagrams: seed % 4 < 2);
        var exporter = new FlowExporter(context, writer, TimeSpan.FromSeconds(2));
        // The same packets, counted by a second listener of the same context.
        long packets = 0, octets = 0;
        context.CreateStreamListener().RegisterCallback(MonitorEvent.PacketIn, HookPoint.Send, (ctx, _, _, _) =>
        {
            if (ctx.TryGetLastPacket(out PacketView p) && p.HasTcpHeader)
                (packets, octets) = (packets + 1, octets + p.IpLength);
        });
        context.Run(new HostileFrames.GuardedSource(source, guard));
        context.Finish(last + 60_000_000);
        exporter.Finish();

        Assert.Equal(0, exporter.OpenFlows);
        Assert.Equal(writer.Records, reader.Records.Count);
        Assert.Equal(writer.Messages, reader.Messages);
        Assert.True(packets > 200, $"only {packets} packets reached a flow"); // the stream keeps flows alive
        Assert.Equal(packets, reader.Records.Sum(r => (long)IpfixMessages.Number(r, 2)));
        Assert.Equal(octets, reader.Records.Sum(r => (long)IpfixMessages.Number(r, 1)));
        Assert.All(reader.Records, r =>
        {
            Assert.InRange(IpfixMessages.Number(r, 152), (ulong)(Start / 1000), IpfixMessages.Number(r, 153));
            Assert.InRange(IpfixMessages.Number(r, 136), 1UL, 4UL);
            Assert.InRange(IpfixMessages.Number(r, 239), 1UL, 2UL);
            Assert.True(IpfixMessages.Number(r, 2) > 0, "a record without packets");
        });
        // With MosCompat no TIMEOUT event is raised (B23), so an idle end looks like any other end.
        Assert.DoesNotContain(seed % 2 == 0 ? 1UL : 0UL, reader.Records.Select(r => IpfixMessages.Number(r, 136)));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Nat_returns_every_port_and_forwards_what_it_counts(int seed)
    {
        (ListFrameSource source, long last) = Stream(seed);
        using var guard = new GuardedBuffer();
        using var context = new MonitorContext(Options(seed, forward: true));
        var nat = new SourceNat(context, IPAddress.Parse("192.0.2.1"));
        long forwarded = 0;
        context.ForwardSink = (_, _) => forwarded++;
        context.Run(new HostileFrames.GuardedSource(source, guard));
        MonitorStatistics st = context.Statistics;
        Assert.Equal(source.Count, st.Packets);
        Assert.Equal((st.Packets, forwarded), (st.Forwarded + st.Dropped, st.Forwarded));
        Assert.True(nat.TranslatedFlows > 10, $"only {nat.TranslatedFlows} flows translated");
        Assert.InRange(nat.PortsInUse, 0, context.ActiveFlows); // a port per live translated flow at most
        context.Finish(last + 60_000_000);
        Assert.Equal((0, 0), (context.ActiveFlows, nat.PortsInUse));
    }

    private const string Rules = """
        ACCEPT 10.0.0.1   0.0.0.0    dport:80
        DROP   0.0.0.0/1  0.0.0.0
        DROP   ::         ::/1
        ACCEPT 0.0.0.0    0.0.0.0    dport:22
        DROP   0.0.0.0    0.0.0.0/2
        """;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void No_SYN_a_DROP_rule_matches_is_forwarded(int seed)
    {
        (ListFrameSource source, long last) = Stream(seed);
        using var guard = new GuardedBuffer();
        using var context = new MonitorContext(Options(seed, forward: true));
        FirewallRuleSet rules = FirewallRuleSet.Parse(Rules, "fuzz.conf");
        var firewall = new SynFirewall(context, rules);
        var leaked = new List<string>();
        long forwardedSyns = 0;
        context.ForwardSink = (frame, linkType) =>
        {
            if (linkType == 1 && InitialSyn(frame) is { } syn)
            {
                forwardedSyns++;
                int rule = rules.Match(4, syn.Source, syn.Destination, syn.SourcePort, syn.DestinationPort);
                if (rule >= 0 && rules[rule].Action == FirewallAction.Drop)
                    leaked.Add(Convert.ToHexString(frame));
            }
        };
        context.Run(new HostileFrames.GuardedSource(source, guard));
        MonitorStatistics st = context.Statistics;
        Assert.Empty(leaked);
        Assert.True(firewall.DroppedSyns > 0 && forwardedSyns > 0, $"{firewall.DroppedSyns} SYNs dropped, {forwardedSyns} forwarded");
        Assert.InRange(firewall.DroppedSyns, 0, st.Dropped);
        Assert.Equal(st.Packets, st.Forwarded + st.Dropped);
        long hits = firewall.DefaultAccepts;
        for (int i = 0; i < rules.Count; i++)
            hits += firewall.GetHits(i);
        Assert.True(hits >= firewall.DroppedSyns);
        context.Finish(last + 60_000_000);
        Assert.Equal(0, context.ActiveFlows);
    }

    /// <summary>Every frame of the three MPTCP captures of the corpus (SLL, SLL2 and Ethernet), with its link type.</summary>
    private static readonly Lazy<List<(byte[] Frame, LinkType LinkType)>> s_mptcpFrames = new(() =>
    {
        var frames = new List<(byte[], LinkType)>();
        foreach (string name in (string[])["gen__mptcp_any_sll2.pcap", "pub__mptcp__client_2_sll.pcap", "pub__mptcp__iperf_mptcp_0_0.pcap"])
        {
            using PacketSource s = CaptureFile.Open(Path.Combine(SharedPaths.Corpus, name));
            while (s.TryReadNext(out Packet p))
                frames.Add((p.Data.ToArray(), p.LinkType));
        }
        return frames;
    });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_MPTCP_tracker_keeps_its_rows_and_subflows_consistent(int seed)
    {
        // Real MPTCP subflows in capture order, some frames dropped, repeated or moved (joins before their
        // handshake: orphan merges), a third with a byte of the TCP option area (from offset 20 of the TCP header)
        // or of the headers changed, some cut short.
        var rng = new Random(seed);
        List<(byte[] Frame, LinkType LinkType)> frames = s_mptcpFrames.Value;
        using var guard = new GuardedBuffer();
        var tracker = new MptcpConnectionTracker();
        int start = rng.Next(frames.Count);
        for (int i = 0; i < 30_000; i++)
        {
            (byte[] f, LinkType lt) = frames[(start + i + (rng.Next(10) == 0 ? rng.Next(-50, 50) : 0) + frames.Count) % frames.Count];
            byte[] m = (byte[])f.Clone();
            switch (rng.Next(6))
            {
                case 0 or 1:
                    int tcp = TcpHeaderOffset(m, lt);
                    if (tcp > 0 && m.Length > tcp + 20)
                        m[rng.Next(tcp + 20, Math.Min(m.Length, tcp + 60))] = (byte)rng.Next(256);
                    break;
                case 2:
                    m = HostileFrames.Mutate(rng, m);
                    break;
                case 3:
                    m = m[..rng.Next(0, m.Length + 1)];
                    break;
            }
            Span<byte> placed = guard.Place(m);
            tracker.Add(placed, lt, placed.Length, i * 1_000_000L);
        }

        IReadOnlyList<MptcpConnection> rows = tracker.Connections;
        Assert.True(rows.Count > 0);
        Assert.Equal(Enumerable.Range(0, rows.Count), rows.Select(c => c.Index)); // renumbered after every merge
        var owners = new Dictionary<MptcpSubflow, MptcpConnection>();
        foreach (MptcpConnection c in rows)
        {
            foreach (MptcpSubflow s in c.Subflows)
            {
                Assert.True(owners.TryAdd(s, c), $"subflow {s.Stream} is in connections {owners.GetValueOrDefault(s)?.Index} and {c.Index}");
                Assert.Same(c, s.Connection);
            }
            Assert.True(c.Subflows.Count <= MptcpConnection.MaxSubflows);
            Assert.True(c.FirstTimestampNanoseconds <= c.LastTimestampNanoseconds);
        }
        Assert.Equal(owners.Count, owners.Keys.Select(s => s.Stream).Distinct().Count());
        Assert.True(rows.Sum(c => c.Packets(MptcpPeer.Client) + c.Packets(MptcpPeer.Server)) <= tracker.TcpSegments);
        Assert.True(tracker.TcpSegments <= tracker.Packets);

        var tsv = new StringWriter();
        MptcpConnectionWriter.WriteTsv(tsv, rows);
        string[] lines = tsv.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(rows.Count + 1, lines.Length);
        Assert.All(lines, l => Assert.Equal(MptcpConnectionWriter.Columns.Length, l.Split('\t').Length));
        var json = new MemoryStream();
        MptcpConnectionWriter.WriteJson(json, rows);
        using JsonDocument doc = JsonDocument.Parse(json.ToArray());
        Assert.Equal(rows.Count, doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.GetArrayLength() : doc.RootElement.GetProperty("connections").GetArrayLength());
    }

    /// <summary>Where the TCP header starts in an SLL, SLL2 or Ethernet frame of IPv4 or IPv6, or -1.</summary>
    private static int TcpHeaderOffset(byte[] frame, LinkType linkType)
    {
        int ip = linkType switch { LinkType.Ethernet => 14, LinkType.LinuxSll => 16, LinkType.LinuxSll2 => 20, _ => -1 };
        if (ip < 0 || frame.Length < ip + 40)
            return -1;
        return (frame[ip] >> 4) switch
        {
            4 when frame[ip + 9] == 6 => ip + (frame[ip] & 0x0F) * 4,
            6 when frame[ip + 6] == 6 => ip + 40,
            _ => -1,
        };
    }

    /// <summary>
    /// An Ethernet frame that an IPv4 host takes as a connection's first SYN: version 4, a header of at least 20 bytes
    /// with a valid checksum, not a fragment, TCP with a header that fits and a valid checksum, SYN without ACK or RST. Read here without
    /// the engine's decoder.
    /// </summary>
    private static (UInt128 Source, UInt128 Destination, ushort SourcePort, ushort DestinationPort)? InitialSyn(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
            return null;
        ReadOnlySpan<byte> ip = frame[14..];
        int ihl = (ip[0] & 0x0F) * 4, total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ip[0] >> 4 != 4 || ihl < 20 || total < ihl || total > ip.Length || ip[9] != 6)
            return null;
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0 || Frames.Checksum(ip[..ihl], 0) != 0)
            return null;
        ReadOnlySpan<byte> tcp = ip[ihl..total];
        if (tcp.Length < 20 || (tcp[12] >> 4) * 4 < 20 || (tcp[12] >> 4) * 4 > tcp.Length)
            return null;
        if ((tcp[13] & 0x16) != 0x02) // SYN, not ACK, not RST
            return null;
        // The receiver discards a segment whose checksum (over the pseudo-header too) is wrong; so does the engine (S27).
        Span<byte> pseudo = stackalloc byte[12];
        ip[12..20].CopyTo(pseudo);
        pseudo[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcp.Length);
        if (Frames.Checksum(tcp, Frames.Sum(pseudo)) != 0)
            return null;
        return (BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), BinaryPrimitives.ReadUInt32BigEndian(ip[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]));
    }
}
