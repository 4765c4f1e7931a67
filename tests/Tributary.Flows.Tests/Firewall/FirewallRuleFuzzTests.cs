using System.Text;
using Tributary.Flows.Applications.Firewall;
using Tributary.Testing;

namespace Tributary.Flows.Tests.Firewall;

/// <summary>
/// Hostile rule files (DESIGN.md "Bad input"): mutated valid files either parse or fail with the one
/// <see cref="FirewallRuleException"/> naming a line of the file, never another exception; what parses has a rule per
/// rule line, each written back as text parses to the same rule, and matching never throws.
/// </summary>
public sealed class FirewallRuleFuzzTests
{
    private static readonly string[] s_lines =
    [
        "DROP    10.0.0.0/24  10.0.0.0/24  dport:80",
        "ACCEPT  10.0.1.7     10.0.1.9     sport:1024",
        "accept  0.0.0.0      0.0.0.0",
        "DROP    2001:db8::/32  ::  sport:1024 dport:22",
        "Drop    192.168.0.0/16 10.0.0.1/32 dport:65535",
        "ACCEPT  fe80::1/128  ::/0  sport:1",
        "# a comment line",
        "",
        "DROP 0.0.0.0/0 0.0.0.0/0 # everything",
    ];

    private const string Alphabet = "0123456789abcdefABCDEF.:/#- \t\r\nDROPACEsportd:x\0é𝄞";

    public static TheoryData<int> Seeds => FuzzSeeds.Of(3, 17, 99);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutated_rule_files_parse_or_fail_with_the_line(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++)
        {
            string text = Mutate(random, string.Join('\n', Enumerable.Range(0, random.Next(1, 8)).Select(_ => s_lines[random.Next(s_lines.Length)])));
            int lineCount = text.Split('\n').Length;
            FirewallRuleSet set;
            try
            {
                set = FirewallRuleSet.Parse(text, "fw.conf");
            }
            catch (FirewallRuleException ex)
            {
                Assert.Matches(@"^fw\.conf:\d+: \S", ex.Message);
                int line = int.Parse(ex.Message.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(line, 1, lineCount);
                continue;
            }
            int ruleLines = text.Split('\n').Count(l => l.Split('#')[0].Split([' ', '\t', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries).Length > 0);
            Assert.Equal(ruleLines, set.Count);
            foreach (FirewallRule rule in set.Rules)
            {
                Assert.InRange(rule.LineNumber, 1, lineCount);
                FirewallRule again = Assert.Single(FirewallRuleSet.Parse(Render(rule), "again").Rules);
                Assert.Equal((rule.Action, rule.IpVersion, rule.Source, rule.SourcePrefixLength, rule.Destination, rule.DestinationPrefixLength, rule.SourcePort, rule.DestinationPort),
                    (again.Action, again.IpVersion, again.Source, again.SourcePrefixLength, again.Destination, again.DestinationPrefixLength, again.SourcePort, again.DestinationPort));
            }
            for (int probe = 0; probe < 4; probe++)
            {
                UInt128 a = new((ulong)random.NextInt64(), (ulong)random.NextInt64()), b = new((ulong)random.NextInt64(), (ulong)random.NextInt64());
                int index = set.Match(random.Next(2) == 0 ? 4 : 6, a, b, (ushort)random.Next(65536), (ushort)random.Next(65536));
                Assert.InRange(index, -1, set.Count - 1);
            }
        }
    }

    private static string Render(FirewallRule rule)
    {
        var text = new StringBuilder(rule.Action == FirewallAction.Drop ? "DROP" : "ACCEPT");
        text.Append(' ').Append(rule.SourceText).Append(' ').Append(rule.DestinationText);
        if (rule.SourcePort != 0)
            text.Append(" sport:").Append(rule.SourcePort);
        if (rule.DestinationPort != 0)
            text.Append(" dport:").Append(rule.DestinationPort);
        return text.ToString();
    }

    private static string Mutate(Random random, string text)
    {
        var s = new StringBuilder(text);
        for (int n = random.Next(0, 5); n > 0; n--)
        {
            int at = s.Length == 0 ? 0 : random.Next(s.Length);
            switch (random.Next(6))
            {
                case 0 when s.Length > 0:
                    s.Remove(at, 1);
                    break;
                case 1:
                    s.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 2 when s.Length > 0:
                    s[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 3:
                    s.Insert(at, random.Next(3) switch { 0 => "99999999999999999999", 1 => "-1", _ => "/" + random.Next(200) });
                    break;
                case 4 when s.Length > 0:
                    s.Length = at; // truncated
                    break;
                default:
                    s.Insert(at, " sport:" + random.Next(-5, 70000));
                    break;
            }
        }
        return s.ToString();
    }
}
