using Tributary.Capture;
using Tributary.Capture.Filters;

namespace Tributary.Flows.Internal;

/// <summary>Compiles tcpdump expressions through the packet layer (libpcap <c>pcap_compile</c>, the program run in C#).</summary>
internal static class FilterCompiler
{
    public static bool TryCompile(string expression, int linkType, out FrameMatcher? matcher, out string? error)
    {
        try
        {
            BpfProgram program = BpfProgram.Compile(expression, (LinkType)linkType);
            matcher = program.Matches;
            error = null;
            return true;
        }
        catch (FilterException ex)
        {
            matcher = null;
            error = ex.Message;
            return false;
        }
    }
}
