using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links;

// Applying rtnetlink link and address messages to the monitor's known state, and reporting the
// changes (reference/mptcpd/INVENTORY.md a.4, a.5).
public sealed partial class NetworkMonitor
{
    /// <summary>How an address that passes the filters enters the known state.</summary>
    private enum AddMode
    {
        /// <summary>Stored without a callback (the initial dump without Existing).</summary>
        Silent,

        /// <summary>Reported with new_address (after the route check when CheckRoute is set).</summary>
        Report,
    }

    /// <summary>A tracked link: its public view, the addresses reported for it, those awaiting a route check.</summary>
    private sealed class TrackedLink(InterfaceInfo info)
    {
        public InterfaceInfo Info { get; } = info;

        public Dictionary<AddressKey, RouteCheck> Pending { get; } = [];
    }

    /// <summary>Applies one link message; <paramref name="initial"/> stores a new link without a callback.</summary>
    private void ApplyLink(in LinkMessage m, bool initial)
    {
        // Only AF_UNSPEC messages describe the link itself; AF_BRIDGE ones describe bridge-port
        // state, and an AF_BRIDGE RTM_DELLINK only means a port left its bridge (mptcpd would
        // wrongly drop the interface).
        if (m.Family != Interop.Rtnetlink.AF_UNSPEC)
            return;
        bool ready = !m.Deleted && IsReady(m.Flags);
        if (ready)
        {
            if (_links.TryGetValue(m.Index, out TrackedLink? link))
            {
                // mptcpd refreshes only the flags of a known link, then reports any NEWLINK as an update.
                link.Info.Flags = (InterfaceFlags)m.Flags;
                if (!initial)
                    NotifyUpdateInterface(link.Info);
                return;
            }
            link = Insert(m.Index, m.Type, m.Flags, Encoding.UTF8.GetString(m.Name));
            if (initial)
                return;
            NotifyNewInterface(link.Info);
            // Correction of mptcpd: a link that becomes tracked (again) has its current addresses
            // reported; the kernel does not resend IPv4 addresses when a link comes back up.
            ReportCurrentAddresses(link);
            return;
        }
        if (_links.TryGetValue(m.Index, out TrackedLink? gone))
        {
            _links.Remove(m.Index);
            Drop(gone);
        }
    }

    private TrackedLink Insert(int index, ushort type, uint flags, string name)
    {
        var link = new TrackedLink(new InterfaceInfo(index, type, (InterfaceFlags)flags, name));
        _links.Add(index, link);
        return link;
    }

    /// <summary>Reports a link's removal (its addresses go with it, without delete_address, as in mptcpd).</summary>
    private void Drop(TrackedLink link)
    {
        foreach (RouteCheck rc in link.Pending.Values)
            rc.Cancelled = true;
        link.Pending.Clear();
        NotifyDeleteInterface(link.Info);
    }

    /// <summary>Applies one address message to a tracked link (untracked links are ignored, as in mptcpd).</summary>
    private void ApplyAddress(in AddressMessage m, AddMode mode)
    {
        if (m.Family is not (Interop.Rtnetlink.AF_INET or Interop.Rtnetlink.AF_INET6))
            return;
        if (!_links.TryGetValue(m.Index, out TrackedLink? link))
            return;
        var attrs = new NetlinkAttributeReader(m.Attributes);
        while (attrs.MoveNext())
        {
            NetlinkAttribute a = attrs.Current;
            // Each IFA_ADDRESS counts; IFA_LOCAL is ignored (mptcpd a.5; matters for point-to-point peers).
            if (a.Type != Interop.IfAddr.IFA_ADDRESS)
                continue;
            if (!AddressKey.TryCreate(m.Family, a.Payload, out AddressKey key))
            {
                Malformed($"IFA_ADDRESS of {a.Payload.Length} bytes for family {m.Family}");
                continue;
            }
            if (m.Deleted)
                RemoveAddress(link, key, m.Flags);
            else
                AddAddress(link, key, m.Scope, m.Flags, mode);
        }
        if (attrs.Malformed)
            Malformed("address message with a bad attribute length");
    }

    /// <summary>
    /// Applies what an RTM_NEWADDR (or a dump) says about an address: its identity is family + IP, so a
    /// repeated message (new flags, lifetimes, prefix) adds nothing; but the flags are re-checked against the
    /// skip flags, because they change in place: a known address that now fails them (deprecated, say) is
    /// reported deleted, and one that was skipped and now passes (DAD completed) is new.
    /// </summary>
    private void AddAddress(TrackedLink link, AddressKey key, byte scope, AddressFlags flags, AddMode mode)
    {
        bool passes = PassesSkipFlags(key, scope, flags);
        if (link.Info.AddressSet.Contains(key))
        {
            if (passes)
                link.Info.AddressSet.SetFlags(key, flags);
            else
                RemoveAddress(link, key, flags);
            return;
        }
        if (link.Pending.TryGetValue(key, out RouteCheck? pending))
        {
            if (passes)
                pending.Flags = flags;
            else
                RemoveAddress(link, key, flags); // never reported: the check just stops
            return;
        }
        if (!passes)
            return;
        if (mode == AddMode.Report && (Flags & NotifyFlags.CheckRoute) != 0)
        {
            StartRouteCheck(link, key, key.ToIPAddress(), flags);
            return;
        }
        link.Info.AddressSet.Add(key, flags);
        if (mode == AddMode.Report)
            NotifyNewAddress(link.Info, key.ToIPAddress(), flags);
    }

    /// <summary>Removes an address from the known state; <paramref name="flags"/> are its flags as of the removal (reported with delete_address).</summary>
    private void RemoveAddress(TrackedLink link, AddressKey key, AddressFlags flags)
    {
        if (link.Info.AddressSet.Remove(key))
        {
            NotifyDeleteAddress(link.Info, key.ToIPAddress(), flags);
        }
        else if (link.Pending.Remove(key, out RouteCheck? rc))
        {
            // Never reported, so nothing to delete: the check just stops.
            rc.Cancelled = true;
        }
    }

    /// <summary>Dumps one link's addresses and reports them (used when a link becomes tracked).</summary>
    private void ReportCurrentAddresses(TrackedLink link)
    {
        try
        {
            DumpAddresses(link.Info.Index, (in NetlinkMessage msg) =>
            {
                if (RtnetlinkMessages.TryParseAddress(msg, out AddressMessage am))
                {
                    if (am.Index == link.Info.Index)
                        ApplyAddress(am, AddMode.Report);
                }
                else
                {
                    Malformed("short RTM_NEWADDR in a dump");
                }
            });
        }
        catch (NetlinkException ex)
        {
            _log.LogWarning("cannot read the addresses of {Name} ({Index}): {Error}", link.Info.Name, link.Info.Index, ex.Message);
        }
    }

    private void Malformed(string what)
    {
        Interlocked.Increment(ref _malformed);
        _log.LogWarning("skipped a malformed rtnetlink message: {What}", what);
    }
}
