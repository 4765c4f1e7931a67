using System.Net;
using System.Text.Json;
using Tributary.Links;

namespace Tributary.Links.Tests;

/// <summary>
/// The state the monitor must converge to, read independently of it with iproute2
/// (<c>ip -j addr show</c>): links that are UP and RUNNING (operstate UP or UNKNOWN; not loopback
/// unless asked) with their addresses after the skip flags.
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
                if ((flags & NotifyFlags.SkipLinkLocal) != 0 && scope == "link")
                    continue;
                if ((flags & NotifyFlags.SkipLoopback) != 0 && scope == "host")
                    continue;
                addrs.Add(IPAddress.Parse(a.GetProperty("local").GetString()!));
            }
            links.Add((link.GetProperty("ifname").GetString()!, addrs));
        }
        return ReplayChecker.Format(links);
    }
}
