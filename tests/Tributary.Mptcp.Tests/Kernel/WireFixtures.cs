using System.Globalization;

namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>The real kernel messages of reference/mptcpd/transcripts/wire-fixtures.txt, as (description, bytes) pairs.</summary>
internal static class WireFixtures
{
    private static readonly Lazy<IReadOnlyList<(string Description, byte[] Bytes)>> s_events = new(Load);

    /// <summary>Each event line and the genl message (from the genlmsghdr) under it.</summary>
    public static IReadOnlyList<(string Description, byte[] Bytes)> Events => s_events.Value;

    public static string Path => SharedPaths.RequireShared("reference", "mptcpd", "transcripts", "wire-fixtures.txt");

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Trim());

    private static List<(string, byte[])> Load()
    {
        var list = new List<(string, byte[])>();
        string? description = null;
        foreach (string raw in File.ReadLines(Path))
        {
            string line = raw.Trim();
            if (line.StartsWith("hex:", StringComparison.Ordinal) && description is not null)
            {
                list.Add((description, Hex(line[4..])));
                description = null;
            }
            else if (line.Length > 0 && char.IsDigit(line[0]))
            {
                description = line;
            }
        }
        return list;
    }

    /// <summary>"key=value" pairs of a description line ("2509.191 CREATED token=0x… sport=37542").</summary>
    public static Dictionary<string, string> Fields(string description)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] parts = description.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        d["event"] = parts[1];
        foreach (string p in parts.Skip(2))
        {
            int eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                d[p[..eq]] = p[(eq + 1)..];
        }
        return d;
    }

    public static uint ParseToken(string s) => uint.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
