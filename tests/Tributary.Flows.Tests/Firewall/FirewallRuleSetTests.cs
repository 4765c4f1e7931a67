using System.Net;
using Tributary.Flows.Applications.Firewall;

namespace Tributary.Flows.Tests.Firewall;

/// <summary>The rules file of simple_firewall (SAMPLES.md §2) and its Tributary extensions: shapes, matching, every error with its line.</summary>
public sealed class FirewallRuleSetTests
{
    private static UInt128 A(string address)
    {
        byte[] b = IPAddress.Parse(address).GetAddressBytes();
        UInt128 v = 0;
        foreach (byte x in b)
            v = (v << 8) | x;
        return v;
    }

    private static int V(string address) => address.Contains(':', StringComparison.Ordinal) ? 6 : 4;

    private static int Match(FirewallRuleSet set, string src, ushort sport, string dst, ushort dport) =>
        set.Match(V(src), A(src), A(dst), sport, dport);

    [Fact]
    public void Parses_the_sample_file_of_mOS()
    {
        FirewallRuleSet set = FirewallRuleSet.Parse("""
            # (act)  (src)        (dst)        (port)
            DROP    10.0.0.0/24  10.0.0.0/24  dport:80
            ACCEPT  10.0.1.7     10.0.1.9     sport:1024

            ACCEPT  10.0.2.7     10.0.2.9     # trailing comment
            ACCEPT  10.0.3.0/24  10.0.3.0/24
            """, "fw.conf");
        Assert.Equal(4, set.Count);
        FirewallRule r = set[0];
        Assert.Equal((FirewallAction.Drop, 4, 24, 24, (ushort)0, (ushort)80, 2), (r.Action, r.IpVersion, r.SourcePrefixLength, r.DestinationPrefixLength, r.SourcePort, r.DestinationPort, r.LineNumber));
        Assert.Equal(("10.0.0.0/24", "10.0.0.0/24"), (r.SourceText, r.DestinationText));
        Assert.Equal(("10.0.1.7", "10.0.1.9", (ushort)1024, 32), (set[1].SourceText, set[1].DestinationText, set[1].SourcePort, set[1].SourcePrefixLength));
        Assert.Equal(5, set[2].LineNumber);

        Assert.Equal(0, Match(set, "10.0.0.5", 40000, "10.0.0.200", 80));
        Assert.Equal(-1, Match(set, "10.0.0.5", 40000, "10.0.0.200", 81));   // dport differs: default
        Assert.Equal(-1, Match(set, "10.0.0.200", 80, "10.0.0.5", 40000));   // SRC is the SYN's source only
        Assert.Equal(1, Match(set, "10.0.1.7", 1024, "10.0.1.9", 5));
        Assert.Equal(-1, Match(set, "10.0.1.7", 1025, "10.0.1.9", 5));
        Assert.Equal(-1, Match(set, "10.0.1.8", 1024, "10.0.1.9", 5));       // /32 by default
        Assert.Equal(3, Match(set, "10.0.3.1", 1, "10.0.3.254", 2));
    }

    [Fact]
    public void The_mask_is_applied_at_parse_time_and_every_length_is_defined()
    {
        for (int len = 0; len <= 32; len++)
        {
            FirewallRuleSet set = FirewallRuleSet.Parse($"DROP 192.168.77.129/{len} 0.0.0.0", "m");
            uint mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
            Assert.Equal((UInt128)(0xC0A84D81u & mask), set[0].Source);
            Assert.Equal($"{AddressText.Format(0xC0A84D81u & mask, 4)}/{len}", set[0].SourceText);
            Assert.Equal(0, Match(set, "192.168.77.129", 1, "1.2.3.4", 2));
            // The address just outside the prefix: flip the last bit the prefix covers.
            uint outside = len == 0 ? 0x01020304u : 0xC0A84D81u ^ (1u << (32 - len));
            Assert.Equal(len == 0 ? 0 : -1, set.Match(4, outside, A("1.2.3.4"), 1, 2));
        }
        // /0 matches every IPv4 address (mOS: undefined >> 32), and only IPv4.
        FirewallRuleSet all = FirewallRuleSet.Parse("DROP 10.9.8.7/0 10.0.0.1/0", "m");
        Assert.Equal(0, Match(all, "255.255.255.255", 1, "0.0.0.1", 2));
        Assert.Equal(-1, Match(all, "2001:db8::1", 1, "2001:db8::2", 2));
    }

    [Fact]
    public void Wildcards_match_any_address_or_port_of_their_family()
    {
        FirewallRuleSet set = FirewallRuleSet.Parse("""
            DROP 0.0.0.0 0.0.0.0 dport:0 sport:0
            ACCEPT :: ::
            """, "w");
        Assert.Equal(0, Match(set, "1.2.3.4", 9, "5.6.7.8", 10));
        Assert.Equal(1, Match(set, "2001:db8::1", 9, "fe80::2", 10));
        Assert.Equal(("0.0.0.0", "::"), (set[0].SourceText, set[1].DestinationText));
        Assert.Equal((0, 0), (set[1].SourcePrefixLength, set[1].DestinationPrefixLength));
    }

    [Fact]
    public void IPv6_prefixes_match_only_IPv6_and_first_match_wins()
    {
        FirewallRuleSet set = FirewallRuleSet.Parse("""
            drop   2001:db8::/32   2001:db8:1::/48   dport:22 sport:1000
            accept 2001:db8:0:0:0:0:0:7/128 ::
            DROP   2001:db8::/32   ::
            DROP   ::ffff:10.0.0.1 ::/0
            """, "six");
        Assert.Equal(("2001:db8::/32", "2001:db8:1::/48", (ushort)1000, (ushort)22), (set[0].SourceText, set[0].DestinationText, set[0].SourcePort, set[0].DestinationPort));
        Assert.Equal("2001:db8::7/128", set[1].SourceText); // the length as the file wrote it
        Assert.Equal(0, Match(set, "2001:db8:ffff::7", 1000, "2001:db8:1:abcd::1", 22));
        Assert.Equal(1, Match(set, "2001:db8::7", 1000, "2001:db8:2::1", 22));  // rule 1 needs the /48
        Assert.Equal(2, Match(set, "2001:db8::8", 1, "::1", 2));
        Assert.Equal(-1, Match(set, "2001:db9::8", 1, "::1", 2));
        Assert.Equal(3, Match(set, "::ffff:10.0.0.1", 1, "::1", 2));
        Assert.Equal(-1, Match(set, "10.0.0.1", 1, "10.0.0.2", 2));             // an IPv4 packet is not ::ffff:
        // The /0 of IPv6: every address, both directions of the shift defined.
        FirewallRuleSet zero = FirewallRuleSet.Parse("DROP ::1/0 ::/128", "z");
        Assert.Equal(0, Match(zero, "ffff::1", 1, "fe80::9", 2));
    }

    [Fact]
    public void An_empty_file_or_one_of_comments_is_no_rule()
    {
        Assert.Equal(0, FirewallRuleSet.Parse("", "e").Count);
        Assert.Equal(0, FirewallRuleSet.Parse("# nothing\n\n   \t\n#DROP 1.2.3.4 5.6.7.8\r\n", "e").Count);
    }

    [Fact]
    public void Takes_1024_rules_and_refuses_the_1025th()
    {
        string rules = string.Concat(Enumerable.Range(0, 1024).Select(i => $"DROP 10.0.{i / 256}.{i % 256} 0.0.0.0\n"));
        Assert.Equal(1024, FirewallRuleSet.Parse("# many\n" + rules, "big").Count);
        var e = Assert.Throws<FirewallRuleException>(() => FirewallRuleSet.Parse("# many\n" + rules + "\n# x\nACCEPT 1.1.1.1 2.2.2.2\n", "big"));
        Assert.Equal("big:1028: more than 1024 rules", e.Message);
        Assert.Equal(("big", 1028), (e.FileName, e.LineNumber));
    }

    [Theory]
    [InlineData("REJECT 10.0.0.1 10.0.0.2", 1, "unknown action \"REJECT\" (ACCEPT or DROP)")]
    [InlineData("10.0.0.1 10.0.0.2", 1, "unknown action \"10.0.0.1\" (ACCEPT or DROP)")]
    [InlineData("# c\nDROP", 2, "missing source address")]
    [InlineData("DROP 10.0.0.1 # 10.0.0.2", 1, "missing destination address")]
    [InlineData("ACCEPT 1.1.1.1 1.1.1.1\nDROP 10.0.0.300 10.0.0.2", 2, "bad address \"10.0.0.300\"")]
    [InlineData("DROP 10.0.0 10.0.0.2", 1, "bad address \"10.0.0\"")]
    [InlineData("DROP 10.0.0.1 10.0.0.2.3", 1, "bad address \"10.0.0.2.3\"")]
    [InlineData("DROP 0x0a.0.0.1 10.0.0.2", 1, "bad address \"0x0a.0.0.1\"")]
    [InlineData("DROP fe80::1%eth0 ::", 1, "bad address \"fe80::1%eth0\"")]
    [InlineData("DROP 2001:db8:::1 ::", 1, "bad address \"2001:db8:::1\"")]
    [InlineData("DROP host 10.0.0.2", 1, "bad address \"host\"")]
    [InlineData("DROP 10.0.0.1/33 10.0.0.2", 1, "bad mask \"/33\" (0..32 for IPv4)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2/-1", 1, "bad mask \"/-1\" (0..32 for IPv4)")]
    [InlineData("DROP 10.0.0.1/ 10.0.0.2", 1, "bad mask \"/\" (0..32 for IPv4)")]
    [InlineData("DROP 10.0.0.1/24/8 10.0.0.2", 1, "bad mask \"/24/8\" (0..32 for IPv4)")]
    [InlineData("DROP 2001:db8::/129 ::", 1, "bad mask \"/129\" (0..128 for IPv6)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 dport:65536", 1, "bad port \"dport:65536\" (0..65535, 0 = any)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 sport:", 1, "bad port \"sport:\" (0..65535, 0 = any)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 sport:-1", 1, "bad port \"sport:-1\" (0..65535, 0 = any)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 dport:http", 1, "bad port \"dport:http\" (0..65535, 0 = any)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 port:80", 1, "unknown field \"port:80\" (sport:N or dport:N)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 80", 1, "unknown field \"80\" (sport:N or dport:N)")]
    [InlineData("DROP 10.0.0.1 10.0.0.2 dport:80 dport:81", 1, "dport given twice")]
    [InlineData("DROP 10.0.0.1 2001:db8::1", 1, "source \"10.0.0.1\" and destination \"2001:db8::1\" are not of the same address family")]
    [InlineData("DROP 0.0.0.0 ::", 1, "source \"0.0.0.0\" and destination \"::\" are not of the same address family")]
    public void An_error_names_the_file_the_line_and_what_is_wrong(string text, int line, string problem)
    {
        var e = Assert.Throws<FirewallRuleException>(() => FirewallRuleSet.Parse(text, "rules.conf"));
        Assert.Equal($"rules.conf:{line}: {problem}", e.Message);
        Assert.Equal((line, problem), (e.LineNumber, e.Problem));
    }

    [Fact]
    public void Load_reads_the_file_and_names_it_in_errors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"trib-fw-{Environment.ProcessId}.conf");
        try
        {
            File.WriteAllText(path, "DROP 10.0.0.0/8 0.0.0.0 dport:25\n");
            Assert.Equal((ushort)25, FirewallRuleSet.Load(path)[0].DestinationPort);
            File.WriteAllText(path, "\n\nDROP 10.0.0.0/8\n");
            Assert.Equal($"{path}:3: missing destination address", Assert.Throws<FirewallRuleException>(() => FirewallRuleSet.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<FileNotFoundException>(() => FirewallRuleSet.Load(path));
    }
}
