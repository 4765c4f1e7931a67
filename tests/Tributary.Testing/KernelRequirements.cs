using Xunit;

namespace Tributary.Testing;

/// <summary>
/// Probes for what kernel tests need (root, <c>ip netns</c>, link types, tools). A test whose need is
/// missing is skipped with the reason; on CI (<c>CI=true</c>) it is not skipped but runs and fails,
/// because CI installs everything and a skip there would hide a bug.
/// </summary>
public static class KernelRequirements
{
    private static readonly Lazy<string?> s_netns = new(ProbeNetworkNamespaces);

    /// <summary>Null when network namespaces can be created here, else why not.</summary>
    public static string? NetworkNamespaces => s_netns.Value;

    /// <summary>Null when <paramref name="program"/> is on PATH, else why not.</summary>
    public static string? Program(string program) =>
        ProcessRunner.IsOnPath(program) ? null : $"'{program}' is not installed (scripts/setup.sh installs it)";

    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string? ProbeNetworkNamespaces()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRootUid())
            return "kernel tests need root (network namespaces)";
        if (!ProcessRunner.IsOnPath("ip"))
            return "iproute2 ('ip') is not installed";
        try
        {
            using var ns = TestNetworkNamespace.Create("probe");
        }
        catch (Exception ex)
        {
            return $"cannot create a network namespace: {ex.Message}";
        }
        return null;
    }

    private static bool IsRootUid()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
            }
        }
        catch (IOException)
        {
        }
        return false;
    }
}

/// <summary>A fact that needs network namespaces (root + iproute2), and optionally some programs.</summary>
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute(params string[] programs)
    {
        string? reason = KernelRequirements.NetworkNamespaces
            ?? programs.Select(KernelRequirements.Program).FirstOrDefault(r => r is not null);
        if (reason is not null && !KernelRequirements.OnCi)
            Skip = reason;
    }
}

/// <summary>A theory that needs network namespaces (root + iproute2), and optionally some programs.</summary>
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute(params string[] programs)
    {
        string? reason = KernelRequirements.NetworkNamespaces
            ?? programs.Select(KernelRequirements.Program).FirstOrDefault(r => r is not null);
        if (reason is not null && !KernelRequirements.OnCi)
            Skip = reason;
    }
}

/// <summary>A fact that needs some programs on PATH (tshark, tcpdump, gcc …) but no namespaces.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] programs)
    {
        string? reason = programs.Select(KernelRequirements.Program).FirstOrDefault(r => r is not null);
        if (reason is not null && !KernelRequirements.OnCi)
            Skip = reason;
    }
}
