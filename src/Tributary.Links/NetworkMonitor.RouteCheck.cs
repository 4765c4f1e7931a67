using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tributary.Links.Interop;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links;

// NotifyFlags.CheckRoute (reference/mptcpd/INVENTORY.md a.6): a new address is reported only once
// a FIB lookup of a documentation address through its interface matches a default route; one
// lookup and 4 retries with growing delays, then the address stays unreported. As in mptcpd, a
// route added later does not bring it back.
public sealed partial class NetworkMonitor
{
    private const int RouteCheckRetries = 4;

    private static readonly IPAddress s_probeV4 = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress s_probeV6 = IPAddress.Parse("2001:db8::");

    private readonly PriorityQueue<RouteCheck, long> _routeChecks = new();

    /// <summary>An address waiting for its default route.</summary>
    private sealed class RouteCheck(TrackedLink link, AddressKey key, IPAddress address, AddressFlags flags)
    {
        /// <summary>The address's latest flags (a repeated RTM_NEWADDR updates them while the check waits).</summary>
        public AddressFlags Flags { get; set; } = flags;

        public TrackedLink Link { get; } = link;
        public AddressKey Key { get; } = key;
        public IPAddress Address { get; } = address;
        public int Attempts { get; set; }
        public bool Cancelled { get; set; }
    }

    private void StartRouteCheck(TrackedLink link, AddressKey key, IPAddress ip, AddressFlags flags)
    {
        var rc = new RouteCheck(link, key, ip, flags);
        link.Pending.Add(key, rc);
        RunRouteCheck(rc);
    }

    private void RunRouteCheck(RouteCheck rc)
    {
        if (rc.Cancelled)
            return;
        string? failure = LookUpDefaultRoute(rc.Link.Info.Index, rc.Address);
        if (failure is null)
        {
            _log.LogDebug("found default route for address {Address} on interface {Index}", rc.Address, rc.Link.Info.Index);
            rc.Link.Pending.Remove(rc.Key);
            // The link may have gone while the check was pending (then the check was cancelled).
            rc.Link.Info.AddressSet.Add(rc.Key, rc.Flags);
            NotifyNewAddress(rc.Link.Info, rc.Address, rc.Flags);
            return;
        }
        _log.LogDebug("{Failure}", failure);
        if (rc.Attempts++ >= RouteCheckRetries)
        {
            _log.LogDebug("no default route for address {Address} on interface {Index}; not reported", rc.Address, rc.Link.Info.Index);
            return; // stays pending (stored, never reported) until removed, as in mptcpd
        }
        _routeChecks.Enqueue(rc, Environment.TickCount64 + (1L << (rc.Attempts - 1)));
    }

    /// <summary>Null when a default route goes out of <paramref name="index"/>, else why not (mptcpd's log texts).</summary>
    private string? LookUpDefaultRoute(int index, IPAddress address)
    {
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        Span<byte> buf = stackalloc byte[96];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(Rtnetlink.RTM_GETROUTE, NetlinkMessageFlags.None);
        w.WriteHeader(new rtmsg
        {
            rtm_family = v4 ? Rtnetlink.AF_INET : Rtnetlink.AF_INET6,
            rtm_dst_len = (byte)(v4 ? 32 : 128),
            // mptcpd also sets RTM_F_LOOKUP_TABLE, which only changes the reported table; under
            // strict checking the kernel refuses it for IPv6 ("Invalid flags for get route request").
            rtm_flags = v4 ? Rtnetlink.RTM_F_LOOKUP_TABLE | Rtnetlink.RTM_F_FIB_MATCH : Rtnetlink.RTM_F_FIB_MATCH,
        });
        w.PutU32(Rtnetlink.RTA_OIF, (uint)index);
        Span<byte> dst = stackalloc byte[16];
        (v4 ? s_probeV4 : s_probeV6).TryWriteBytes(dst, out int n);
        w.PutBytes(Rtnetlink.RTA_DST, dst[..n]);

        bool sawDst = false;
        int oif = -1;
        try
        {
            _requests.Execute(w.Finish(), (in NetlinkMessage m) =>
            {
                foreach (NetlinkAttribute a in m.Attributes(System.Runtime.InteropServices.Marshal.SizeOf<rtmsg>()))
                {
                    if (a.Type == Rtnetlink.RTA_DST)
                        sawDst = true;
                    else if (a.Type == Rtnetlink.RTA_OIF && a.TryGetS32(out int o))
                        oif = o;
                }
            }, "check route");
        }
        catch (NetlinkException ex)
        {
            string ext = ex.ExtendedAckMessage is null ? "" : $" ({ex.ExtendedAckMessage})";
            return $"can't resolved default route from {address} interface {index}: -{ex.Errno}{ext}";
        }
        if (sawDst)
            return $"found non-default route for address {address} on interface {index}";
        if (oif != index)
            return $"interface mismatch for address {address}: route via {oif}, address on {index}";
        return null;
    }

    /// <summary>
    /// Waits until no address is waiting for a route-check retry (at most a few tens of
    /// milliseconds after a burst), e.g. before a one-shot listing. False on timeout.
    /// </summary>
    public bool WaitForRouteChecks(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            lock (_lock)
            {
                if (MillisecondsToNextRouteCheck() < 0)
                    return true;
            }
            if (Environment.TickCount64 > deadline)
                return false;
            Thread.Sleep(1);
        }
    }

    private void RunDueRouteChecks()
    {
        long now = Environment.TickCount64;
        while (_routeChecks.TryPeek(out RouteCheck? rc, out long due) && due <= now)
        {
            _routeChecks.Dequeue();
            RunRouteCheck(rc);
        }
    }

    private int MillisecondsToNextRouteCheck()
    {
        while (_routeChecks.TryPeek(out RouteCheck? rc, out long due))
        {
            if (rc.Cancelled)
            {
                _routeChecks.Dequeue();
                continue;
            }
            return (int)Math.Clamp(due - Environment.TickCount64, 0, int.MaxValue);
        }
        return -1;
    }
}
