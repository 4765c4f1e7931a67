using BenchmarkDotNet.Running;

namespace Tributary.Benchmarks;

/// <summary>
/// BenchmarkDotNet entry point: <c>dotnet run -c Release --project bench/Tributary.Benchmarks -- --filter '*'</c>.
/// Whole-process comparisons against the C peers are the scripts in bench/.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
