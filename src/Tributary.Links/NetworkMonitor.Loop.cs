using System.Text;
using Microsoft.Extensions.Logging;
using Tributary.Links.Interop;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links;

// Reading the kernel: the initial dump, the event loop, and the resync that keeps the view exact
// when events were lost.
public sealed partial class NetworkMonitor
{
    private readonly byte[] _eventBuffer = new byte[NetlinkSocket.DefaultReceiveBufferLength];

    /// <summary>
    /// Links, then addresses, each dump read to its end and applied in that order (mptcpd's order).
    /// Both dumps stream; an interrupted one starts over (links are stored silently, addresses are
    /// collected and applied once their dump is known to be consistent).
    /// </summary>
    private void InitialDump()
    {
        DumpLinks((in NetlinkMessage msg) =>
        {
            if (RtnetlinkMessages.TryParseLink(msg, out LinkMessage lm))
                ApplyLink(lm, initial: true);
            else
                Malformed("short RTM_NEWLINK in the initial dump");
        }, _links.Clear);
        if (_links.Count == 0)
            return; // as mptcpd: no address dump when nothing is tracked
        if ((Flags & NotifyFlags.Existing) == 0)
        {
            // Stored silently: apply while reading, and forget them all if the dump starts over.
            // The dump lists each interface's addresses together: remember the last link looked up.
            TrackedLink? last = null;
            ReadAddresses(_requests, (int index, AddressKey key, byte scope, AddressFlags flags) =>
            {
                if (last?.Info.Index == index || _links.TryGetValue(index, out last))
                    AddAddress(last, key, scope, flags, AddMode.Silent);
            }, ForgetAllAddresses);
            return;
        }
        // Reported addresses cannot be taken back: report them once their dump is known consistent.
        foreach (DumpedAddress a in ReadAddresses(_requests))
        {
            // mptcpd ignores addresses of untracked interfaces.
            if (_links.TryGetValue(a.Index, out TrackedLink? link))
                AddAddress(link, a.Key, a.Scope, a.Flags, AddMode.Report);
        }
    }

    private void ForgetAllAddresses()
    {
        foreach (TrackedLink link in _links.Values)
        {
            link.Info.AddressSet.Clear();
        }
    }

    /// <summary>An address as dumped: interface index, address, scope, IFA_F_* flags.</summary>
    private readonly record struct DumpedAddress(int Index, AddressKey Key, byte Scope, AddressFlags Flags);

    /// <summary>
    /// One consistent RTM_GETADDR dump of all interfaces (IPv4 and IPv6), in the kernel's order,
    /// every IFA_ADDRESS of every message. Malformed messages are counted and skipped.
    /// </summary>
    private List<DumpedAddress> ReadAddresses(NetlinkSocket socket)
    {
        var list = new List<DumpedAddress>();
        ReadAddresses(socket, (int index, AddressKey key, byte scope, AddressFlags flags) => list.Add(new DumpedAddress(index, key, scope, flags)), list.Clear);
        return list;
    }

    private delegate void DumpedAddressHandler(int index, AddressKey key, byte scope, AddressFlags flags);

    /// <summary>Streams an RTM_GETADDR dump of all interfaces to <paramref name="onAddress"/>; <paramref name="restart"/> runs if it starts over.</summary>
    private void ReadAddresses(NetlinkSocket socket, DumpedAddressHandler onAddress, Action restart)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(Rtnetlink.RTM_GETADDR, NetlinkMessageFlags.None);
        w.WriteHeader(new ifaddrmsg { ifa_family = Rtnetlink.AF_UNSPEC });
        socket.Dump(w.Finish(), (in NetlinkMessage msg) =>
        {
            if (!RtnetlinkMessages.TryParseAddress(msg, out AddressMessage am))
            {
                Malformed("short RTM_NEWADDR in a dump");
                return;
            }
            if (am.Family is not (Rtnetlink.AF_INET or Rtnetlink.AF_INET6))
                return;
            var attrs = new NetlinkAttributeReader(am.Attributes);
            while (attrs.MoveNext())
            {
                NetlinkAttribute a = attrs.Current;
                if (a.Type == IfAddr.IFA_ADDRESS && AddressKey.TryCreate(am.Family, a.Payload, out AddressKey key))
                    onAddress(am.Index, key, am.Scope, am.Flags);
            }
            if (attrs.Malformed)
                Malformed("address message with a bad attribute length in a dump");
        }, restart, "dump addresses");
    }

    /// <summary>Dumps all links, streaming: <paramref name="restart"/> runs when the kernel interrupted the dump and it starts over.</summary>
    private void DumpLinks(NetlinkMessageHandler handler, Action restart)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(Rtnetlink.RTM_GETLINK, NetlinkMessageFlags.None);
        w.WriteHeader(new ifinfomsg { ifi_family = Rtnetlink.AF_UNSPEC });
        // Statistics are a good part of a link message and the monitor never reads them.
        w.PutU32(IfLink.IFLA_EXT_MASK, Rtnetlink.RTEXT_FILTER_SKIP_STATS);
        _requests.Dump(w.Finish(), handler, restart, "dump links");
    }

    /// <summary>Dumps one interface's addresses (the kernel filters by index under strict checking), staged.</summary>
    private void DumpAddresses(int index, NetlinkMessageHandler handler)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(Rtnetlink.RTM_GETADDR, NetlinkMessageFlags.None);
        w.WriteHeader(new ifaddrmsg { ifa_family = Rtnetlink.AF_UNSPEC, ifa_index = (uint)index });
        _requests.Dump(w.Finish(), handler, "dump addresses");
    }

    private void EventLoop()
    {
        _go.Wait();
        // Set when events may have been lost; the resync then runs inside the try below, so a
        // failing resync (the kernel busy, a dump interrupted too often) is retried, never fatal.
        string? resync = null;
        int failures = 0;
        while (!_stopping)
        {
            try
            {
                if (resync is not null)
                {
                    Resync(resync);
                    resync = null;
                    RaiseIdle();
                }
                int timeout;
                lock (_lock)
                {
                    RunDueRouteChecks();
                    timeout = MillisecondsToNextRouteCheck();
                }
                if (_poller.Wait(timeout) == NetlinkPoller.Result.Readable)
                {
                    DrainEvents();
                    RaiseIdle();
                }
                failures = 0;
            }
            catch (NetlinkOverrunException)
            {
                resync = "the event socket overflowed (ENOBUFS)";
            }
            catch (ObjectDisposedException) when (_stopping)
            {
                return;
            }
#pragma warning disable CA1031 // the monitor thread must survive anything the kernel or a callback throws at it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (_stopping)
                    return;
                _log.LogError(ex, "network monitor: unexpected error; resynchronising");
                resync ??= "after an unexpected error";
                // Back off (up to a second) while the failure persists, rather than spin.
                Thread.Sleep(Math.Min(1000, 10 << Math.Min(failures++, 7)));
            }
        }
    }

    private void RaiseIdle()
    {
        try
        {
            Idle?.Invoke();
        }
#pragma warning disable CA1031 // a handler's failure must not stop the monitor
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError(ex, "network monitor Idle handler threw");
        }
    }

    /// <summary>Reads and applies every queued datagram.</summary>
    private void DrainEvents()
    {
        while (!_stopping && _events.TryReceiveNow(_eventBuffer, out NetlinkReceiveResult r))
        {
            if (r.Truncated)
            {
                // Part of a datagram was lost, so some changes were: same remedy as ENOBUFS.
                Malformed($"truncated rtnetlink datagram ({r.Length} bytes kept)");
                throw new NetlinkOverrunException(); // data was lost: same remedy as ENOBUFS

            }
            lock (_lock)
            {
                if (_stopping)
                    return;
                ApplyDatagram(_eventBuffer.AsSpan(0, r.Length));
            }
        }
    }

    private void ApplyDatagram(ReadOnlySpan<byte> datagram)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.MoveNext())
        {
            NetlinkMessage m = reader.Current;
            if (RtnetlinkMessages.IsLink(m.Type))
            {
                if (RtnetlinkMessages.TryParseLink(m, out LinkMessage lm))
                    ApplyLink(lm, initial: false);
                else
                    Malformed($"link message of {m.Payload.Length} bytes");
            }
            else if (RtnetlinkMessages.IsAddress(m.Type))
            {
                if (RtnetlinkMessages.TryParseAddress(m, out AddressMessage am))
                    ApplyAddress(am, AddMode.Report);
                else
                    Malformed($"address message of {m.Payload.Length} bytes");
            }
        }
        if (reader.Malformed)
            Malformed($"bad message length at byte {reader.MalformedOffset} of a {datagram.Length}-byte datagram");
    }

    /// <summary>Applies a datagram as if it came from the kernel (tests feed byte fixtures and hostile input through this).</summary>
    internal void InjectDatagram(ReadOnlySpan<byte> datagram)
    {
        lock (_lock)
            ApplyDatagram(datagram);
    }

    /// <summary>
    /// Recovers from lost events: empty the event socket (which also ends the kernel's congestion
    /// state, so any later loss raises ENOBUFS again), dump links and addresses, and report the
    /// difference between the known state and the dump. Events queued after the dump are older
    /// than or equal to it and replay over it without contradiction, because every callback is
    /// derived from a change of the known state.
    /// </summary>
    private void Resync(string why)
    {
        Interlocked.Increment(ref _resyncs);
        _log.LogWarning("network monitor lost events ({Why}); re-reading links and addresses", why);
        DiscardQueuedEvents();

        var links = new Dictionary<int, LinkSnapshot>();
        DumpLinks((in NetlinkMessage msg) =>
        {
            if (RtnetlinkMessages.TryParseLink(msg, out LinkMessage lm) && lm.Family == Rtnetlink.AF_UNSPEC)
                links[lm.Index] = new LinkSnapshot(lm.Type, lm.Flags, Encoding.UTF8.GetString(lm.Name));
        }, links.Clear);
        var addresses = new Dictionary<int, List<DumpedAddress>>();
        foreach (DumpedAddress a in ReadAddresses(_requests))
        {
            if (!addresses.TryGetValue(a.Index, out var list))
                addresses[a.Index] = list = [];
            list.Add(a);
        }
        lock (_lock)
            ApplySnapshot(links, addresses);
    }

    private void DiscardQueuedEvents()
    {
        while (true)
        {
            try
            {
                if (!_events.TryReceiveNow(_eventBuffer, out _))
                    return;
            }
            catch (NetlinkOverrunException)
            {
                // still overflowing: keep emptying
            }
        }
    }

    private readonly record struct LinkSnapshot(ushort Type, uint Flags, string Name);

    /// <summary>Reports the difference between the known state and a fresh dump.</summary>
    private void ApplySnapshot(Dictionary<int, LinkSnapshot> links, Dictionary<int, List<DumpedAddress>> addresses)
    {
        // 1. Tracked links that are gone, no longer ready, or replaced under the same index.
        foreach (TrackedLink link in _links.Values.ToArray())
        {
            int index = link.Info.Index;
            if (!links.TryGetValue(index, out LinkSnapshot now) || !IsReady(now.Flags)
                || now.Name != link.Info.Name || now.Type != link.Info.Type)
            {
                _links.Remove(index);
                Drop(link);
            }
        }

        // 2. Links still tracked: flags, then addresses removed, then addresses added.
        foreach (TrackedLink link in _links.Values.ToArray())
        {
            LinkSnapshot now = links[link.Info.Index];
            if ((uint)link.Info.Flags != now.Flags)
            {
                link.Info.Flags = (InterfaceFlags)now.Flags;
                NotifyUpdateInterface(link.Info);
            }
            // The addresses that pass the skip flags now, with their current flags; known ones that
            // vanished or now fail the policy (deprecated, say) are removed before anything is added.
            // (dumped: every address with its flags; current: those that pass.)
            var dumped = new Dictionary<AddressKey, AddressFlags>();
            var current = new HashSet<AddressKey>();
            if (addresses.TryGetValue(link.Info.Index, out var list))
            {
                foreach (DumpedAddress a in list)
                {
                    dumped[a.Key] = a.Flags;
                    if (PassesSkipFlags(a.Key, a.Scope, a.Flags))
                        current.Add(a.Key);
                }
            }
            foreach (AddressKey key in link.Info.AddressSet.KeysSnapshot())
            {
                if (current.Contains(key))
                    continue;
                // Still there but failing the policy: report the flags that made it fail.
                if (!dumped.TryGetValue(key, out AddressFlags flags))
                    link.Info.AddressSet.TryGetFlags(key, out flags);
                RemoveAddress(link, key, flags);
            }
            foreach (AddressKey key in link.Pending.Keys.ToArray())
            {
                if (!current.Contains(key))
                    RemoveAddress(link, key, AddressFlags.None);
            }
            if (list is not null)
            {
                foreach (DumpedAddress a in list)
                    AddAddress(link, a.Key, a.Scope, a.Flags, AddMode.Report);
            }
        }

        // 3. Links that became tracked, in index order, each with its addresses.
        foreach (var (index, now) in links.OrderBy(kv => kv.Key))
        {
            if (_links.ContainsKey(index) || !IsReady(now.Flags))
                continue;
            TrackedLink link = Insert(index, now.Type, now.Flags, now.Name);
            NotifyNewInterface(link.Info);
            if (addresses.TryGetValue(index, out var list))
            {
                foreach (DumpedAddress a in list)
                    AddAddress(link, a.Key, a.Scope, a.Flags, AddMode.Report);
            }
        }
    }
}
