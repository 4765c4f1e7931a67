namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One MPTCP connection as this host's path manager reported it (&lt;linux/mptcp_pm.h&gt; events): its local token,
/// which side accepted it, its subflows, and the addresses the peer announced and removed. The token is the one
/// derived from this host's key (RFC 8684 §3.2), so it equals the wire's client token when this host is the client.
/// </summary>
public sealed class MptcpKernelConnection
{
    /// <summary>Subflows kept per connection; more are counted in <see cref="MptcpKernelView.DroppedRecords"/>.</summary>
    public const int MaxSubflows = MptcpConnection.MaxSubflows;

    /// <summary>Announced addresses and removed ids kept per connection, each.</summary>
    public const int MaxAddressRecords = MptcpConnection.MaxAddressRecords;

    private readonly List<MptcpKernelSubflow> _subflows = [];
    private readonly List<MptcpKernelAddress> _announced = [];
    private readonly List<byte> _removed = [];

    internal MptcpKernelConnection(int index, uint token)
    {
        Index = index;
        Token = token;
    }

    /// <summary>Position in order of the first event or listing (0-based).</summary>
    public int Index { get; }

    public uint Token { get; }

    /// <summary>True when a local listener accepted the connection; null when no event said (listed at the start).</summary>
    public bool? ServerSide { get; internal set; }

    /// <summary>The initial subflow's local end (CREATED's source address and port), when known.</summary>
    public MptcpSocketAddress? Local { get; internal set; }

    /// <summary>The initial subflow's remote end, when known.</summary>
    public MptcpSocketAddress? Remote { get; internal set; }

    /// <summary>MPTCP_EVENT_CREATED was received: the whole connection happened while the events were watched.</summary>
    public bool Created { get; internal set; }

    /// <summary>MPTCP_EVENT_ESTABLISHED was received: the path manager could act on the connection.</summary>
    public bool Established { get; internal set; }

    /// <summary>MPTCP_EVENT_CLOSED was received.</summary>
    public bool Closed { get; internal set; }

    /// <summary>Listed over sock_diag when the watch began.</summary>
    public bool ExistedAtStart { get; internal set; }

    public IReadOnlyList<MptcpKernelSubflow> Subflows => _subflows;

    /// <summary>Distinct addresses the peer announced (ANNOUNCED), in order; the port is what the kernel reports (the subflow's port when the option had none).</summary>
    public IReadOnlyList<MptcpKernelAddress> Announced => _announced;

    /// <summary>Distinct address ids the peer removed (REMOVED), in order.</summary>
    public IReadOnlyList<byte> Removed => _removed;

    /// <summary>The subflow with these ends, added when new (null when the cap is reached).</summary>
    internal MptcpKernelSubflow? Subflow(in MptcpSocketAddress local, in MptcpSocketAddress remote, bool initial, MptcpKernelView view)
    {
        foreach (MptcpKernelSubflow s in _subflows)
        {
            if (s.Matches(local, remote))
                return s;
        }
        if (_subflows.Count >= MaxSubflows)
        {
            view.DroppedRecords++;
            return null;
        }
        var added = new MptcpKernelSubflow(local, remote, initial);
        if (initial)
            _subflows.Insert(0, added);
        else
            _subflows.Add(added);
        return added;
    }

    internal void Announce(in MptcpKernelAddress address, MptcpKernelView view)
    {
        if (_announced.Contains(address))
            return;
        if (_announced.Count >= MaxAddressRecords)
        {
            view.DroppedRecords++;
            return;
        }
        _announced.Add(address);
    }

    internal void Remove(byte id, MptcpKernelView view)
    {
        if (_removed.Contains(id))
            return;
        if (_removed.Count >= MaxAddressRecords)
        {
            view.DroppedRecords++;
            return;
        }
        _removed.Add(id);
    }
}
