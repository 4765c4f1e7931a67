using System.Globalization;
using Tributary.Capture.Decoding;
using Tributary.Capture.Files;
using Tributary.Capture.Tests.Corpus;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Decoding;

/// <summary>
/// TCP options (MSS, window scale, SACK-permitted, SACK blocks, timestamps, Fast Open) and every MPTCP
/// option (RFC 8684 subtypes seen in the corpus: MP_CAPABLE v0/v1, MP_JOIN, DSS, ADD_ADDR,
/// REMOVE_ADDR, MP_PRIO, MP_FASTCLOSE …) decoded exactly as tshark 4.0 decodes them, packet by packet.
/// </summary>
public sealed class TcpOptionTsharkTests(ITestOutputHelper output)
{
    private static readonly (string Field, Func<Fields, string> Ours)[] Columns =
    [
        ("tcp.options.mss_val", f => f.Mss),
        ("tcp.options.wscale.shift", f => f.WScale),
        ("tcp.options.sack_perm", f => f.SackPerm),
        ("tcp.options.sack_le", f => f.SackLeft),
        ("tcp.options.sack_re", f => f.SackRight),
        ("tcp.options.timestamp.tsval", f => f.TsVal),
        ("tcp.options.timestamp.tsecr", f => f.TsEcr),
        ("tcp.options.tfo.cookie", f => f.TfoCookie),
        ("tcp.options.mptcp.subtype", f => f.Subtype),
        ("tcp.options.mptcp.version", f => f.Version),
        ("tcp.options.mptcp.sendkey", f => f.SendKey),
        ("tcp.options.mptcp.recvkey", f => f.RecvKey),
        ("tcp.options.mptcp.recvtok", f => f.Token),
        ("tcp.options.mptcp.sendrand", f => f.Nonce),
        ("tcp.options.mptcp.sendtrunchmac", f => f.JoinHmac),
        ("tcp.options.mptcp.sendhmac", f => f.FullHmac),
        ("tcp.options.mptcp.rawdataack", f => f.DataAck),
        ("tcp.options.mptcp.rawdataseqno", f => f.Dsn),
        ("tcp.options.mptcp.subflowseqno", f => f.Ssn),
        ("tcp.options.mptcp.datalvllen", f => f.Dll),
        ("tcp.options.mptcp.ipv4", f => f.Ipv4),
        ("tcp.options.mptcp.ipv6", f => f.Ipv6),
        ("tcp.options.mptcp.port", f => f.Port),
        ("tcp.options.mptcp.echo", f => f.Echo),
        ("tcp.options.mptcp.addaddrtrunchmac", f => f.AddAddrHmac),
        ("tcp.options.mptcp.backup.flag", f => f.Backup),
    ];

    [ToolTheoryTshark]
    [InlineData("gen__mptcp_any_sll2.pcap")]
    [InlineData("pub__mptcp__client_2_sll.pcap")]
    [InlineData("pub__mptcp__iperf_mptcp_0_0.pcap")]
    [InlineData("gen__misc_v4.pcap")]
    [InlineData("pub__sv__tcp_fastopen.pcap")]
    [InlineData("gen__imp_loss2_srv.pcap")]
    public void Options_match_tshark(string name)
    {
        string path = CorpusFiles.PathOf(name);
        var args = new List<string> { "-n", "-r", path, "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "ip.defragment:FALSE",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number" };
        foreach (var (field, _) in Columns)
        {
            args.Add("-e");
            args.Add(field);
        }
        string[] lines = ProcessRunner.Run("tshark", args, timeout: TimeSpan.FromMinutes(2)).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var failures = new List<string>();
        int index = 0, mptcp = 0;
        var subtypes = new HashSet<string>();
        using PacketSource source = CaptureFile.Open(path);
        while (source.TryReadNext(out Packet p))
        {
            string[] theirs = lines[index++].Split('\t');
            PacketDecoder.Decode(p, out DecodedPacket d);
            Fields ours = Fields.Of(d.IsTcp ? d.TcpOptions : default);
            if (ours.Subtype.Length > 0)
                mptcp++;
            foreach (string s in ours.Subtype.Split(',', StringSplitOptions.RemoveEmptyEntries))
                subtypes.Add(s);
            for (int c = 0; c < Columns.Length; c++)
            {
                string expected = Normalize(Columns[c].Field, theirs[c + 1]);
                string actual = Columns[c].Ours(ours);
                if (expected != actual && failures.Count < 20)
                    failures.Add($"{name} frame {p.Number} {Columns[c].Field}: tshark '{expected}', ours '{actual}'");
            }
        }
        Assert.Equal(lines.Length, index);
        output.WriteLine($"{name}: {mptcp} packets with MPTCP options, subtypes {string.Join(' ', subtypes.Order())}");
        foreach (string f in failures)
            output.WriteLine(f);
        Assert.Empty(failures);
    }

    private static string Normalize(string field, string value)
    {
        if (field is "tcp.options.sack_perm")
            return value.Length == 0 ? "" : string.Join(',', value.Split(',').Select(_ => "1"));
        if (field is "tcp.options.tfo.cookie" or "tcp.options.mptcp.sendhmac")
            return value.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        return value;
    }

    /// <summary>Our decoding in tshark's field layout (lists in option order, comma-separated).</summary>
    private sealed class Fields
    {
        private readonly Dictionary<string, List<string>> _v = [];

        private string Get(string key) => _v.TryGetValue(key, out var l) ? string.Join(',', l) : "";

        private void Add(string key, object value)
        {
            if (!_v.TryGetValue(key, out var l))
                _v[key] = l = [];
            l.Add(Convert.ToString(value, CultureInfo.InvariantCulture)!);
        }

        public string Mss => Get("mss");
        public string WScale => Get("ws");
        public string SackPerm => Get("sp");
        public string SackLeft => Get("sl");
        public string SackRight => Get("sr");
        public string TsVal => Get("tv");
        public string TsEcr => Get("te");
        public string TfoCookie => Get("tfo");
        public string Subtype => Get("st");
        public string Version => Get("ver");
        public string SendKey => Get("sk");
        public string RecvKey => Get("rk");
        public string Token => Get("tok");
        public string Nonce => Get("rand");
        public string JoinHmac => Get("jh");
        public string FullHmac => Get("fh");
        public string DataAck => Get("da");
        public string Dsn => Get("dsn");
        public string Ssn => Get("ssn");
        public string Dll => Get("dll");
        public string Ipv4 => Get("v4");
        public string Ipv6 => Get("v6");
        public string Port => Get("port");
        public string Echo => Get("echo");
        public string AddAddrHmac => Get("ah");
        public string Backup => Get("bk");

        public static Fields Of(ReadOnlySpan<byte> options)
        {
            var f = new Fields();
            foreach (TcpOption o in new TcpOptionReader(options))
            {
                if (o.TryGetMaximumSegmentSize(out ushort mss))
                    f.Add("mss", mss);
                if (o.TryGetWindowScale(out byte ws))
                    f.Add("ws", ws);
                if (o.Kind == TcpOptionKind.SackPermitted)
                    f.Add("sp", 1);
                for (int i = 0; i < o.SackBlockCount; i++)
                {
                    o.TryGetSackBlock(i, out uint l, out uint r);
                    f.Add("sl", l);
                    f.Add("sr", r);
                }
                if (o.TryGetTimestamps(out uint tv, out uint te))
                {
                    f.Add("tv", tv);
                    f.Add("te", te);
                }
                if (o.TryGetFastOpenCookie(out ReadOnlySpan<byte> cookie) && cookie.Length > 0)
                    f.Add("tfo", Convert.ToHexStringLower(cookie));
                if (!o.TryGetMptcp(out MptcpOption m))
                    continue;
                f.Add("st", (int)m.Subtype);
                switch (m.Subtype)
                {
                    case MptcpSubtype.Capable:
                        f.Add("ver", m.Version);
                        if (m.HasSenderKey)
                            f.Add("sk", m.SenderKey);
                        if (m.HasReceiverKey)
                            f.Add("rk", m.ReceiverKey);
                        if (m.DataLevelLength != 0 || m.Length >= 22)
                            f.Add("dll", m.DataLevelLength);
                        break;
                    case MptcpSubtype.Join:
                        if (m.JoinStage is 1 or 2)
                            f.Add("bk", m.Backup ? 1 : 0);
                        if (m.JoinStage is 1 or 2)
                            f.Add("aid", m.AddressId);
                        if (m.JoinStage == 1)
                            f.Add("tok", m.Token);
                        if (m.JoinStage == 2)
                            f.Add("jh", m.TruncatedHmac);
                        if (m.JoinStage is 1 or 2)
                            f.Add("rand", m.Nonce);
                        if (m.JoinStage == 3)
                            f.Add("fh", Convert.ToHexStringLower(m.Hmac));
                        break;
                    case MptcpSubtype.Dss:
                        if (m.HasDataAck)
                            f.Add("da", m.DataAck);
                        if (m.HasMapping)
                        {
                            f.Add("dsn", m.DataSequence);
                            f.Add("ssn", m.SubflowSequence);
                            f.Add("dll", m.DataLevelLength);
                        }
                        break;
                    case MptcpSubtype.AddAddress:
                        if (m.Version == 1)
                            f.Add("echo", m.Echo ? 1 : 0);
                        f.Add(m.AddressVersion == 4 ? "v4" : "v6", m.Address.ToString());
                        if (m.Port != 0)
                            f.Add("port", m.Port);
                        if (m.HasHmac)
                            f.Add("ah", m.TruncatedHmac);
                        break;
                    case MptcpSubtype.FastClose:
                        f.Add("rk", m.ReceiverKey);
                        break;
                    case MptcpSubtype.Priority:
                        f.Add("bk", m.Backup ? 1 : 0);
                        break;
                }
            }
            return f;
        }
    }
}

/// <summary>A theory that needs tshark.</summary>
public sealed class ToolTheoryTsharkAttribute : TheoryAttribute
{
    public ToolTheoryTsharkAttribute()
    {
        string? reason = KernelRequirements.Program("tshark");
        if (reason is not null && !KernelRequirements.OnCi)
            Skip = reason;
    }
}
