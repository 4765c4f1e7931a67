namespace Tributary.Flows.Internal;

/// <summary>Compiles tcpdump expressions through the packet layer (libpcap <c>pcap_compile</c> + the C# BPF runner).</summary>
internal static class FilterCompiler
{
    public static bool TryCompile(string expression, int linkType, out FrameMatcher? matcher, out string? error)
    {
        matcher = null;
        error = "packet filters are not available yet";
        _ = expression;
        _ = linkType;
        return false;
    }
}
