namespace Tributary.Mptcp;

/// <summary>
/// An interface name or a glob over names (<c>*</c> any run of characters, <c>?</c> one character), as in
/// <c>--interfaces=eth0,wwan*</c>. Matching is exact and case-sensitive, as interface names are.
/// </summary>
public sealed class InterfacePattern
{
    private InterfacePattern(string text) => Text = text;

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>
    /// Parses one pattern; null (with <paramref name="error"/>) when it cannot match any interface name: empty,
    /// or holding a character the kernel refuses in names ('/', ':', whitespace; ':' also separates flags).
    /// </summary>
    public static InterfacePattern? TryParse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length == 0)
        {
            error = "empty interface name";
            return null;
        }
        foreach (char c in text)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c))
            {
                error = $"invalid interface name \"{text}\"";
                return null;
            }
        }
        return new InterfacePattern(text);
    }

    /// <summary>Parses a pattern that is known to be valid; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static InterfacePattern Parse(string text) => TryParse(text, out string? error) ?? throw new ArgumentException(error, nameof(text));

    public bool Matches(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Glob(Text, name);
    }

    public override string ToString() => Text;

    /// <summary>Iterative glob with backtracking to the last star: linear for the patterns people write.</summary>
    private static bool Glob(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
