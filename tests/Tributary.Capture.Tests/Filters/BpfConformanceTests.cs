using System.Runtime.InteropServices;
using Tributary.Capture.Files;
using Tributary.Capture.Filters;
using Tributary.Capture.Interop;
using Tributary.Capture.Tests.Corpus;

namespace Tributary.Capture.Tests.Filters;

/// <summary>
/// Our BPF execution (IL-compiled and interpreted) returns exactly what libpcap's own interpreter
/// (<c>pcap_offline_filter</c>) returns: for programs libpcap compiles from expressions and for random
/// valid programs, on real, mutated and random packets.
/// </summary>
public sealed unsafe class BpfConformanceTests
{
    private static readonly string[] Expressions =
    [
        "tcp", "ip6 and tcp", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "ip[2:2] > 100",
        "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "vlan 100 and tcp", "ether[0] & 1 = 1", "len >= 100 and len <= 500",
        "ip[0] & 0xf != 5", "udp[8:2] = 0x1234", "icmp[icmptype] = icmp-echo", "ip and (ip[6] & 0x20 != 0)",
        "tcp port 80 or udp port 53", "net 10.77.0.0/16", "ip6[6] = 58", "greater 200", "mpls and ip", "pppoes and ip",
        "tcp[20:4] % 7 = 3", "ip[4:2] / 3 > 1000", "ip[8] * 2 - 1 > 100", "tcp[13] ^ 0x12 = 0", "ip[1] << 2 = 0", "ip[1] >> 1 = 0",
    ];

    public static TheoryData<int> SamplePacketsSeeds() => FuzzSeeds.Of(1);

    [Theory]
    [MemberData(nameof(SamplePacketsSeeds))]
    public void Compiled_expressions_agree_with_libpcap_on_real_mutated_and_random_packets(int seed)
    {
        List<byte[]> packets = SamplePackets(seed);
        foreach (string expression in Expressions)
        {
            BpfProgram program = BpfProgram.Compile(expression, LinkType.Ethernet);
            AgreeOnAll(program, packets, expression);
        }
    }

    public static TheoryData<int> RandomProgramsSeeds() => FuzzSeeds.Of(7);

    [Theory]
    [MemberData(nameof(RandomProgramsSeeds))]
    public void Random_programs_agree_with_libpcap(int seed)
    {
        var rng = new Random(seed);
        List<byte[]> packets = SamplePackets(seed: 2).Take(300).ToList(); // real packets only: the seed varies the programs
        int valid = 0;
        for (int i = 0; i < 3000; i++)
        {
            BpfProgram program;
            try
            {
                program = new BpfProgram(RandomProgram(rng));
            }
            catch (FilterException)
            {
                continue;   // e.g. a load from scratch memory no path stored (the kernel refuses those too)
            }
            AgreeOnAll(program, packets, $"random program {i}:\n{program}");
            valid++;
        }
        Assert.True(valid > 1000, $"only {valid} random programs were valid");
    }

    [Fact]
    public void Invalid_programs_are_rejected()
    {
        Assert.Throws<FilterException>(() => new BpfProgram([]));
        Assert.Throws<FilterException>(() => new BpfProgram([new BpfInstruction(0x15, 5, 0, 0), new BpfInstruction(0x06, 0, 0, 0)])); // jump out
        Assert.Throws<FilterException>(() => new BpfProgram([new BpfInstruction(0x00, 0, 0, 0)]));                               // no ret
        Assert.Throws<FilterException>(() => new BpfProgram([new BpfInstruction(0x34, 0, 0, 0), new BpfInstruction(0x06, 0, 0, 0)])); // div 0
        Assert.Throws<FilterException>(() => new BpfProgram([new BpfInstruction(0x60, 0, 0, 16), new BpfInstruction(0x06, 0, 0, 0)])); // M[16]
        Assert.Throws<FilterException>(() => new BpfProgram([new BpfInstruction(0xff, 0, 0, 0), new BpfInstruction(0x06, 0, 0, 0)]));  // opcode
    }

    [Fact]
    public void Parse_reads_tcpdump_dd_output()
    {
        BpfProgram compiled = BpfProgram.Compile("tcp port 80", LinkType.Ethernet);
        BpfProgram parsed = BpfProgram.Parse(compiled.ToString());
        Assert.Equal(compiled.Instructions.ToArray(), parsed.Instructions.ToArray());
    }

    [ToolFact("tcpdump")]
    public void Compile_gives_the_program_tcpdump_prints()
    {
        string path = CorpusFiles.PathOf("gen__misc_v4.pcap");
        foreach (string expression in Expressions.Take(8))
        {
            ProcessResult r = ProcessRunner.Run("tcpdump", "-r", path, "-dd", expression).EnsureSuccess("tcpdump -dd");
            BpfProgram theirs = BpfProgram.Parse(r.StandardOutput);
            Assert.Equal(theirs.Instructions.ToArray(), BpfProgram.Compile(expression, LinkType.Ethernet).Instructions.ToArray());
        }
    }

    [ToolFact("tcpdump")]
    public void A_bad_expression_gives_libpcaps_message()
    {
        var ex = Assert.Throws<FilterException>(() => BpfProgram.Compile("tcp port", LinkType.Ethernet));
        ProcessResult r = ProcessRunner.Run("tcpdump", "-r", CorpusFiles.PathOf("gen__misc_v4.pcap"), "tcp port");
        Assert.Contains(ex.Message, r.StandardError);
        Assert.Contains("syntax error", ex.Message);
        var ex2 = Assert.Throws<FilterException>(() => PacketFilter.Compile("ether broadcast", LinkType.Raw));
        Assert.Equal("not a broadcast link", ex2.Message);
    }

    private static void AgreeOnAll(BpfProgram program, List<byte[]> packets, string what)
    {
        ReadOnlySpan<BpfInstruction> insns = program.Instructions;
        fixed (BpfInstruction* p = insns)
        {
            var native = new Libpcap.bpf_program { bf_len = (uint)insns.Length, bf_insns = (Libpcap.sock_filter_native*)p };
            foreach (byte[] packet in packets)
            {
                // wire length: usually the captured length, sometimes longer (snaplen cut)
                int wire = packet.Length + (packet.Length % 3 == 0 ? 17 : 0);
                var header = new Libpcap.pcap_pkthdr { caplen = (uint)packet.Length, len = (uint)wire };
                uint expected;
                fixed (byte* data = packet)
                    expected = (uint)Libpcap.pcap_offline_filter(&native, &header, data);
                uint interpreted = program.Interpret(packet, wire);
                uint compiled = program.Run(packet, wire);
                if (expected != interpreted || expected != compiled)
                    Assert.Fail($"{what}\npacket {Convert.ToHexString(packet)} wire {wire}: libpcap {expected}, interpreter {interpreted}, IL {compiled}");
            }
        }
    }

    /// <summary>Real packets from several corpus files, mutated copies, truncations and random bytes.</summary>
    private static List<byte[]> SamplePackets(int seed)
    {
        var rng = new Random(seed);
        var list = new List<byte[]>();
        foreach (string name in new[] { "gen__misc_v4_vlan100.pcap", "gen__http_v6_nsec.pcap", "pub__tcpreplay__test.pcap",
            "pub__ppp__one_http_stream_rst.pcap", "pub__ppp__frag_http_req.pcap", "pub__cs__http_espn.pcapng" })
        {
            using PacketSource s = CaptureFile.Open(CorpusFiles.PathOf(name));
            int n = 0;
            while (s.TryReadNext(out Packet p) && n++ < 120)
                list.Add(p.Data.ToArray());
        }
        int real = list.Count;
        for (int i = 0; i < real; i++)
        {
            byte[] m = (byte[])list[i].Clone();
            for (int k = rng.Next(1, 6); k > 0; k--)
                m[rng.Next(m.Length)] = (byte)rng.Next(256);
            list.Add(m);
            list.Add(list[i][..rng.Next(list[i].Length)]);
        }
        for (int i = 0; i < 100; i++)
        {
            byte[] r = new byte[rng.Next(0, 120)];
            rng.NextBytes(r);
            list.Add(r);
        }
        return list;
    }

    private static BpfInstruction[] RandomProgram(Random rng)
    {
        int n = rng.Next(1, 24);
        var insns = new BpfInstruction[n + 1];
        ushort[] codes =
        [
            0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, 0x60, 0x01, 0x61, 0x81, 0xb1, 0x02, 0x03,
            0x04, 0x14, 0x24, 0x34, 0x94, 0x54, 0x44, 0xa4, 0x64, 0x74, 0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x5c, 0x4c, 0xac,
            0x6c, 0x7c, 0x84, 0x05, 0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d, 0x07, 0x87, 0x16, 0x06,
        ];
        for (int pc = 0; pc < n; pc++)
        {
            ushort code = codes[rng.Next(codes.Length)];
            uint k = (uint)(rng.Next(4) switch { 0 => rng.Next(0, 80), 1 => rng.Next(0, 16), 2 => rng.Next(), _ => rng.Next(0, 3) });
            int cls = code & 7;
            int mode = code & 0xe0;
            if ((cls is 0 or 1) && mode == 0x60 || cls is 2 or 3)
                k %= 16;
            if (cls == 4 && (code & 0xf0) is 0x30 or 0x90 && (code & 8) == 0 && k == 0)
                k = 3;
            if (cls == 4 && (code & 0xf0) is 0x60 or 0x70 && (code & 8) == 0)
                k %= 32;
            byte jt = 0, jf = 0;
            if (cls == 5)
            {
                int room = n - pc - 1;     // may jump to any later instruction including the final ret
                if ((code & 0xf0) == 0)
                    k = (uint)rng.Next(0, room + 1);
                jt = (byte)rng.Next(0, room + 1);
                jf = (byte)rng.Next(0, room + 1);
            }
            if (cls == 6)
                k = (uint)rng.Next(0, 3) * 1000;
            insns[pc] = new BpfInstruction(code, jt, jf, k);
        }
        insns[n] = new BpfInstruction(rng.Next(2) == 0 ? (ushort)0x16 : (ushort)0x06, 0, 0, 65535);
        return insns;
    }
}
