namespace Tributary.Flows.Tests.Support;

/// <summary>
/// Live tests that count what a monitor prints per interval of the wall clock, or need its captures ready within a
/// fixed wait: they run alone, after the tests that run in parallel. On two cores, a CPU-bound test class beside them
/// (the chunked-sharding fuzz spins two threads) starved the monitor they watch, and a table or a fanout join came
/// late (seen twice in full runs).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveTimingCollection
{
    public const string Name = "live timing";
}
