using BenchmarkDotNet.Running;

namespace Tributary.Benchmarks;

/// <summary>
/// BenchmarkDotNet entry point: <c>dotnet run -c Release --project bench/Tributary.Benchmarks -- --filter '*'</c>.
/// Whole-process comparisons against the C peers are the scripts in bench/.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // Whole-process daemon measurements (bench/mptcpd-compare.sh) are not BenchmarkDotNet runs.
        if (args.Length > 0 && args[0] == "mptcpd")
            return global::Tributary.Benchmarks.Mptcp.DaemonComparison.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
