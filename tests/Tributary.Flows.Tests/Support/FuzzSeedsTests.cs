namespace Tributary.Flows.Tests.Support;

/// <summary>The seeds <see cref="FuzzSeeds"/> gives the fuzz tests, for each setting of its two environment variables.</summary>
public sealed class FuzzSeedsTests
{
    [Fact]
    public void Without_the_variables_only_the_fixed_seeds_run() =>
        Assert.Equal([5, 6, 13], FuzzSeeds.Seeds([5, 6, 13], null, null));

    [Fact]
    public void More_seeds_follow_the_fixed_ones_from_1000() =>
        Assert.Equal([5, 1000, 1001, 1002], FuzzSeeds.Seeds([5], "3", null));

    [Fact]
    public void A_fixed_seed_is_not_run_twice() =>
        Assert.Equal([6, 5, 7, 8], FuzzSeeds.Seeds([6, 6, 5], "2", "5"));

    [Fact]
    public void Zero_and_empty_add_nothing()
    {
        Assert.Equal([1], FuzzSeeds.Seeds([1], "0", "9"));
        Assert.Equal([1], FuzzSeeds.Seeds([1], "", ""));
    }

    [Theory]
    [InlineData("many", null, "TRIBUTARY_FUZZ_SEEDS must be a whole number from 0 to 1000000 (got 'many')")]
    [InlineData("-3", null, "TRIBUTARY_FUZZ_SEEDS must be a whole number from 0 to 1000000 (got '-3')")]
    [InlineData("2000000", null, "TRIBUTARY_FUZZ_SEEDS must be a whole number from 0 to 1000000 (got '2000000')")]
    [InlineData("2", "x1", "TRIBUTARY_FUZZ_FROM must be a whole number from 0 to 1000000 (got 'x1')")]
    public void A_bad_setting_fails_with_its_name(string count, string? from, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => FuzzSeeds.Seeds([1], count, from)).Message);

    [Fact]
    public void A_test_needs_a_fixed_seed() =>
        Assert.Throws<ArgumentException>(() => FuzzSeeds.Seeds([], "5", null));
}
