using System.Globalization;
using Xunit;

namespace Tributary.Testing;

/// <summary>
/// Seeds of a fuzz test: the fixed seeds it always runs (CI stays deterministic), plus, when the environment asks
/// for them, more. <c>TRIBUTARY_FUZZ_SEEDS=N</c> adds N seeds, from <c>TRIBUTARY_FUZZ_FROM</c> (default 1000) on.
/// Each seed is its own test case, so a failure names the seed that reproduces it; add that seed to the fixed ones
/// with the fix. Fixed seeds that found bugs once stay, so the bugs stay fixed.
/// </summary>
public static class FuzzSeeds
{
    /// <summary>Environment variable: how many seeds to run beyond the fixed ones.</summary>
    public const string CountVariable = "TRIBUTARY_FUZZ_SEEDS";

    /// <summary>Environment variable: the first extra seed.</summary>
    public const string FromVariable = "TRIBUTARY_FUZZ_FROM";

    /// <summary>The fixed seeds, then the extra ones the environment asks for (skipping any already fixed).</summary>
    public static TheoryData<int> Of(params int[] fixedSeeds)
    {
        var data = new TheoryData<int>();
        foreach (int seed in Seeds(fixedSeeds, Environment.GetEnvironmentVariable(CountVariable), Environment.GetEnvironmentVariable(FromVariable)))
            data.Add(seed);
        return data;
    }

    /// <summary>The seeds for the given values of <see cref="CountVariable"/> and <see cref="FromVariable"/> (null: unset).</summary>
    public static IReadOnlyList<int> Seeds(int[] fixedSeeds, string? count, string? from)
    {
        ArgumentNullException.ThrowIfNull(fixedSeeds);
        if (fixedSeeds.Length == 0)
            throw new ArgumentException("a fuzz test needs at least one fixed seed", nameof(fixedSeeds));
        var seeds = new List<int>(fixedSeeds.Distinct());
        int extra = Parse(count, CountVariable, 0);
        int next = Parse(from, FromVariable, 1000);
        for (int added = 0; added < extra; next++)
        {
            if (seeds.Contains(next))
                continue;
            seeds.Add(next);
            added++;
        }
        return seeds;
    }

    private static int Parse(string? value, string name, int unset)
    {
        if (string.IsNullOrEmpty(value))
            return unset;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 1_000_000)
            throw new InvalidOperationException($"{name} must be a whole number from 0 to 1000000 (got '{value}')");
        return n;
    }
}
