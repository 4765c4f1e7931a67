using System.Net;
using System.Text.Json;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// The state the monitor must converge to, read independently of it with iproute2
/// (<c>ip -j addr show</c>): links that are UP and RUNNING (operstate UP or UNKNOWN; not loopback
/// unless asked) with their addresses after the skip flags, decided from what iproute2 prints (scope,
/// <c>deprecated</c>, <c>tentative</c>, <c>temporary</c>, the address itself), not from the monitor's code.
/// </summary>
internal static class KernelState
{
    public static List<string> Read(TestNetworkNamespace ns, NotifyFlags flags, bool loopback = false)
    {
        string json = ns.Ip("-j", "addr", "show");
        using JsonDocument doc = JsonDocument.Parse(json);
        var links = new List<(string, IEnumerable<IPAddress>)>();
        foreach (JsonElement link in doc.RootElement.EnumerateArray())
        {
            var linkFlags = link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToHashSet();
            string oper = link.GetProperty("operstate").GetString() ?? "";
            bool running = oper is "UP" or "UNKNOWN";
            if (!linkFlags.Contains("UP") || !running || (linkFlags.Contains("LOOPBACK") && !loopback))
                continue;
            var addrs = new List<IPAddress>();
            foreach (JsonElement a in link.GetProperty("addr_info").EnumerateArray())
            {
                string scope = a.GetProperty("scope").GetString() ?? "";
                var address = IPAddress.Parse(a.GetProperty("local").GetString()!);
                byte[] bytes = address.GetAddressBytes();
                bool v6 = bytes.Length == 16;
                if ((flags & NotifyFlags.SkipLinkLocal) != 0 && (scope == "link" || (!v6 && bytes[0] == 169 && bytes[1] == 254)))
                    continue;
                if ((flags & NotifyFlags.SkipLoopback) != 0 && scope == "host")
                    continue;
                if ((flags & NotifyFlags.SkipUla) != 0 && v6 && (bytes[0] & 0xFE) == 0xFC)
                    continue;
                if ((flags & NotifyFlags.SkipTemporary) != 0 && v6 && Flag(a, "temporary"))
                    continue;
                if ((flags & NotifyFlags.SkipDeprecated) != 0 && Flag(a, "deprecated"))
                    continue;
                if ((flags & NotifyFlags.SkipTentative) != 0 && ((Flag(a, "tentative") && !Flag(a, "optimistic")) || Flag(a, "dadfailed")))
                    continue;
                addrs.Add(address);
            }
            links.Add((link.GetProperty("ifname").GetString()!, addrs));
        }
        return ReplayChecker.Format(links);
    }

    private static bool Flag(JsonElement addr, string name) =>
        addr.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.True;
}
