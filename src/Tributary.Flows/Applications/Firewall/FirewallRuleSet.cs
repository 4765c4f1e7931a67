using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Flows.Applications.Firewall;

/// <summary>
/// The rules of mOS's simple_firewall (reference/mos/SAMPLES.md §2), in file order: the first rule that matches a
/// connection's first SYN decides, a SYN no rule matches is accepted. File format, one rule per line, <c>#</c> starts
/// a comment, blank lines are skipped, at most <see cref="MaxRules"/> rules:
/// <code>
/// ACTION SRC[/len] DST[/len] [sport:N] [dport:N]
/// DROP    10.0.0.0/24  10.0.0.0/24  dport:80
/// ACCEPT  10.0.1.7     10.0.1.9     sport:1024
/// DROP    2001:db8::/32  ::         dport:22
/// </code>
/// ACTION is ACCEPT or DROP (any case); address <c>0.0.0.0</c> (IPv4) or <c>::</c> (IPv6, a Tributary extension) and
/// port 0 are wildcards; <c>/0</c> matches every address of the family (undefined behaviour in mOS's C). Any error
/// rejects the whole file with a <see cref="FirewallRuleException"/> naming the line.
/// </summary>
public sealed class FirewallRuleSet
{
    /// <summary>mOS's <c>MAX_RULES</c>.</summary>
    public const int MaxRules = 1024;

    private readonly FirewallRule[] _rules;

    public FirewallRuleSet(IEnumerable<FirewallRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules.ToArray();
        if (_rules.Length > MaxRules)
            throw new ArgumentException($"at most {MaxRules} rules", nameof(rules));
    }

    public IReadOnlyList<FirewallRule> Rules => _rules;

    public int Count => _rules.Length;

    public FirewallRule this[int index] => _rules[index];

    /// <summary>Reads and parses a rules file; I/O errors propagate as they are (the caller words them).</summary>
    public static FirewallRuleSet Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a rules file; <paramref name="fileName"/> is only used in error messages.</summary>
    public static FirewallRuleSet Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var rules = new List<FirewallRule>();
        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            int hash = rawLine.IndexOf('#', StringComparison.Ordinal);
            string line = hash >= 0 ? rawLine[..hash] : rawLine;
            string[] words = line.Split([' ', '\t', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
                continue;
            if (rules.Count == MaxRules)
                throw new FirewallRuleException(fileName, lineNumber, $"more than {MaxRules} rules");
            rules.Add(ParseRule(words, fileName, lineNumber));
        }
        return new FirewallRuleSet(rules);
    }

    /// <summary>The index of the first rule a SYN hits, or -1 (default ACCEPT).</summary>
    public int Match(int ipVersion, UInt128 source, UInt128 destination, ushort sourcePort, ushort destinationPort)
    {
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(ipVersion, source, destination, sourcePort, destinationPort))
                return i;
        }
        return -1;
    }

    private static FirewallRule ParseRule(string[] words, string fileName, int lineNumber)
    {
        FirewallRuleException Error(string problem) => new(fileName, lineNumber, problem);

        FirewallAction action = words[0].ToUpperInvariant() switch
        {
            "ACCEPT" => FirewallAction.Accept,
            "DROP" => FirewallAction.Drop,
            _ => throw Error($"unknown action \"{words[0]}\" (ACCEPT or DROP)"),
        };
        if (words.Length < 2)
            throw Error("missing source address");
        if (words.Length < 3)
            throw Error("missing destination address");
        (int srcVersion, UInt128 src, int srcLength, bool srcMasked) = ParsePrefix(words[1], Error);
        (int dstVersion, UInt128 dst, int dstLength, bool dstMasked) = ParsePrefix(words[2], Error);
        if (srcVersion != dstVersion)
            throw Error($"source \"{words[1]}\" and destination \"{words[2]}\" are not of the same address family");
        int sport = -1, dport = -1;
        foreach (string word in words.AsSpan(3))
        {
            bool isSport = word.StartsWith("sport:", StringComparison.OrdinalIgnoreCase);
            if (!isSport && !word.StartsWith("dport:", StringComparison.OrdinalIgnoreCase))
                throw Error($"unknown field \"{word}\" (sport:N or dport:N)");
            if ((isSport ? sport : dport) >= 0)
                throw Error($"{(isSport ? "sport" : "dport")} given twice");
            string digits = word[6..];
            if (!IsDecimal(digits, 5) || !ushort.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
                throw Error($"bad port \"{word}\" (0..65535, 0 = any)");
            if (isSport)
                sport = port;
            else
                dport = port;
        }
        return new FirewallRule(action, srcVersion, src, srcLength, dst, dstLength, (ushort)Math.Max(sport, 0), (ushort)Math.Max(dport, 0))
        {
            LineNumber = lineNumber,
            SourceText = Text(srcVersion, src, srcLength, srcMasked),
            DestinationText = Text(dstVersion, dst, dstLength, dstMasked),
        };
    }

    /// <summary>The address as the table prints it: masked as the rule holds it, with <c>/len</c> when the file gave one.</summary>
    private static string Text(int version, UInt128 address, int prefixLength, bool hasLength)
    {
        string masked = AddressText.Format(address & FirewallRule.Mask(version, prefixLength), version);
        return hasLength ? $"{masked}/{prefixLength.ToString(CultureInfo.InvariantCulture)}" : masked;
    }

    /// <summary>
    /// <c>ADDRESS[/len]</c>: a dotted quad (exactly four decimal parts, as inet_pton takes them: no "10.1" or hex
    /// shorthands) or an IPv6 address (no zone). The length defaults to the family's width.
    /// </summary>
    private static (int Version, UInt128 Address, int PrefixLength, bool Masked) ParsePrefix(string word, Func<string, FirewallRuleException> error)
    {
        int slash = word.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash >= 0 ? word[..slash] : word;
        int version;
        UInt128 address;
        if (TryParseIPv4(addressText, out uint v4))
        {
            version = 4;
            address = v4;
        }
        else if (addressText.Contains(':', StringComparison.Ordinal) && !addressText.Contains('%', StringComparison.Ordinal)
            && IPAddress.TryParse(addressText, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            version = 6;
            Span<byte> bytes = stackalloc byte[16];
            ip.TryWriteBytes(bytes, out _);
            address = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        }
        else
        {
            throw error($"bad address \"{addressText}\"");
        }
        int width = version == 4 ? 32 : 128;
        if (slash < 0)
            return (version, address, width, false);
        string lengthText = word[(slash + 1)..];
        int length = IsDecimal(lengthText, 3) ? int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture) : -1;
        if (length < 0 || length > width)
            throw error($"bad mask \"/{lengthText}\" (0..{width} for IPv{version})");
        return (version, address, length, true);
    }

    private static bool TryParseIPv4(string text, out uint address)
    {
        address = 0;
        string[] parts = text.Split('.');
        if (parts.Length != 4)
            return false;
        foreach (string part in parts)
        {
            if (!IsDecimal(part, 3))
                return false;
            int octet = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255)
                return false;
            address = (address << 8) | (uint)octet;
        }
        return true;
    }

    private static bool IsDecimal(string s, int maxDigits) =>
        s.Length > 0 && s.Length <= maxDigits && s.All(char.IsAsciiDigit);
}
