using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Tributary.Cli;

/// <summary>
/// Parsers for integer options that check the range as they parse. A value that is not a number, or is out of
/// range, is a usage error naming the option (exit 2). A validator that reads the value instead would throw out of
/// the parser when the text is not a number, and the command would end in an unhandled exception.
/// </summary>
internal static class NumberOption
{
    /// <summary>For an <c>Option&lt;int&gt;</c> (an option left out takes its DefaultValueFactory's value, not this parser's).</summary>
    public static Func<ArgumentResult, int> Int32(int min, int max, string requirement) =>
        r => Parse(r, min, max, requirement, out long value) ? (int)value : 0;

    /// <summary>For an <c>Option&lt;int?&gt;</c>.</summary>
    public static Func<ArgumentResult, int?> NullableInt32(int min, int max, string requirement) =>
        r => Parse(r, min, max, requirement, out long value) ? (int)value : null;

    /// <summary>For an <c>Option&lt;long?&gt;</c>.</summary>
    public static Func<ArgumentResult, long?> NullableInt64(long min, long max, string requirement) =>
        r => Parse(r, min, max, requirement, out long value) ? value : null;

    /// <summary>
    /// For an <c>Option&lt;TimeSpan&gt;</c> given in seconds: a decimal number (<c>1</c>, <c>0.25</c>), rounded to the
    /// microsecond, in [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public static Func<ArgumentResult, TimeSpan> Seconds(TimeSpan min, TimeSpan max, string requirement) =>
        r =>
        {
            if (r.Tokens.Count == 0)
                return TimeSpan.Zero;
            string name = r.Parent is OptionResult option ? option.Option.Name : r.Argument.Name;
            string text = r.Tokens[0].Value;
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds)
                || Math.Abs(seconds) > 1_000_000_000m)
            {
                r.AddError($"{name}: '{text}' is not a number of seconds ({name} {requirement})");
                return TimeSpan.Zero;
            }
            var value = TimeSpan.FromMicroseconds((long)Math.Round(seconds * 1_000_000m));
            if (value < min || value > max)
            {
                r.AddError($"{name} {requirement}");
                return TimeSpan.Zero;
            }
            return value;
        };

    /// <summary>
    /// The value of <paramref name="option"/> for a command's validator, or <paramref name="fallback"/> when its text
    /// does not convert: reading it would throw, and the option's own error is reported anyway.
    /// </summary>
    public static T ValueOr<T>(SymbolResult result, Option<T> option, T fallback)
    {
        try
        {
            return result.GetValue(option) ?? fallback;
        }
        catch (InvalidOperationException)
        {
            return fallback;
        }
    }

    /// <summary>
    /// Parses the option's one token as a decimal integer in [<paramref name="min"/>, <paramref name="max"/>];
    /// otherwise adds an error (the option's name, then <paramref name="requirement"/>, e.g. "must not be negative").
    /// </summary>
    private static bool Parse(ArgumentResult r, long min, long max, string requirement, out long value)
    {
        value = 0;
        if (r.Tokens.Count == 0)
            return false; // no value (System.CommandLine reports the missing argument)
        string name = r.Parent is OptionResult option ? option.Option.Name : r.Argument.Name;
        string text = r.Tokens[0].Value;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            r.AddError($"{name}: '{text}' is not a number ({name} {requirement})");
            return false;
        }
        if (value < min || value > max)
        {
            r.AddError($"{name} {requirement}");
            return false;
        }
        return true;
    }
}
