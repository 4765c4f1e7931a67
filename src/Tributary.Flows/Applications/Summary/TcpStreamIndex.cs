using Tributary.Capture.Decoding;
using CaptureTcpFlags = Tributary.Capture.Decoding.TcpFlags;

namespace Tributary.Flows.Applications.Summary;

/// <summary>
/// Numbers TCP segments into flows exactly as tshark's <c>tcp.stream</c> (DESIGN.md "Contracts"): per 4-tuple, in
/// order of first packet; a SYN whose sequence number differs from the one its direction started with opens a new
/// flow (port reuse); packets after FIN or RST stay in their flow; no idle split. Shared by <c>flows summary</c> and
/// <c>flows mptcp</c> so that both name a flow by the same index. One entry per 4-tuple ever seen, like tshark —
/// unless made with a bound (a live capture, which has no end): then a flow quiet for the idle limit, or the least
/// recently seen beyond the most tracked, is forgotten (its 4-tuple's next packet opens a new flow), except those the
/// owner keeps.
/// </summary>
public sealed class TcpStreamIndex
{
    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), Entry> _current = [];
    // Bounded only: entries by last packet, least recent first; kept entries leave it when they reach its head. The
    // 4-tuple and the time of the last packet live in the node: a file's entries (the unbounded case) carry nothing more.
    private readonly LinkedList<Recency>? _recent;
    private readonly long _idleLimitNs;
    private readonly int _maxTracked;
    private readonly Func<long, bool>? _keep;

    /// <summary>Every 4-tuple is remembered (files: tshark's numbering).</summary>
    public TcpStreamIndex()
    {
    }

    /// <summary>
    /// Flows are forgotten after <paramref name="idleLimit"/> without packets, and the least recently seen once more
    /// than <paramref name="maxTracked"/> are tracked; never those whose index <paramref name="keep"/> accepts.
    /// </summary>
    public TcpStreamIndex(TimeSpan idleLimit, int maxTracked, Func<long, bool> keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleLimit, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTracked, 1);
        ArgumentNullException.ThrowIfNull(keep);
        _recent = new LinkedList<Recency>();
        _idleLimitNs = idleLimit.Ticks * (1_000_000_000 / TimeSpan.TicksPerSecond);
        _maxTracked = maxTracked;
        _keep = keep;
    }

    /// <summary>Flows numbered so far (the next flow gets this index): a long, since a live index never ends.</summary>
    public long Count { get; internal set; } // settable by tests, to number past int.MaxValue without 2³¹ flows

    /// <summary>4-tuples remembered now.</summary>
    public int Tracked => _current.Count;

    /// <summary>Flows forgotten (bounded index only).</summary>
    public long Forgotten { get; private set; }

    /// <summary>The <c>tcp.stream</c> index of a TCP segment; <paramref name="isNew"/> when it opened a flow.</summary>
    public long Assign(in DecodedPacket d, out bool isNew) => Assign(d, 0, out isNew);

    /// <summary>
    /// As <see cref="Assign(in DecodedPacket, out bool)"/> for a segment captured at <paramref name="timestampNanoseconds"/>
    /// (the clock of the idle limit; unused without a bound).
    /// </summary>
    public long Assign(in DecodedPacket d, long timestampNanoseconds, out bool isNew)
    {
        if (_recent is not null)
            ForgetIdle(timestampNanoseconds);
        bool srcFirst = (d.Source, d.SourcePort).CompareTo((d.Destination, d.DestinationPort)) <= 0;
        var key = srcFirst ? (d.Source, d.SourcePort, d.Destination, d.DestinationPort) : (d.Destination, d.DestinationPort, d.Source, d.SourcePort);
        bool syn = (d.TcpFlags & (CaptureTcpFlags.Syn | CaptureTcpFlags.Ack)) == CaptureTcpFlags.Syn;
        isNew = false;
        if (!_current.TryGetValue(key, out Entry? entry)
            // tshark: a SYN whose sequence number is not the base of its direction is a new connection (port reuse).
            || (syn && entry.BaseOf(srcFirst, out uint baseSequence) && d.Sequence != baseSequence))
        {
            if (entry?.Recent?.List is not null)
                _recent!.Remove(entry.Recent); // replaced: no longer reachable by its 4-tuple
            entry = new Entry(Count++);
            _current[key] = entry;
            isNew = true;
        }
        entry.Observe(srcFirst, (d.TcpFlags & CaptureTcpFlags.Syn) != 0, d.Sequence);
        if (_recent is not null)
            Touch(entry, key, timestampNanoseconds);
        return entry.Index;
    }

    /// <summary>The entry moves to the most recent end; beyond the most tracked, the least recent is forgotten.</summary>
    private void Touch(Entry entry, (IpAddress, ushort, IpAddress, ushort) key, long timestampNanoseconds)
    {
        LinkedListNode<Recency> node = entry.Recent ??= new LinkedListNode<Recency>(new Recency(key, entry, timestampNanoseconds));
        node.ValueRef.LastSeenNs = Math.Max(node.ValueRef.LastSeenNs, timestampNanoseconds);
        if (node.List is not null)
            _recent!.Remove(node);
        _recent!.AddLast(node);
        while (_recent.Count > _maxTracked)
            ForgetOldest();
    }

    private void ForgetIdle(long nowNs)
    {
        while (_recent!.First is { } oldest && nowNs - oldest.ValueRef.LastSeenNs >= _idleLimitNs)
            ForgetOldest();
    }

    /// <summary>The least recent entry leaves the list; it is forgotten unless the owner keeps it (it comes back with its next packet).</summary>
    private void ForgetOldest()
    {
        Recency oldest = _recent!.First!.Value;
        _recent.RemoveFirst();
        if (_keep!(oldest.Entry.Index))
            return;
        if (_current.TryGetValue(oldest.Key, out Entry? current) && current == oldest.Entry)
            _current.Remove(oldest.Key);
        Forgotten++;
    }

    /// <summary>A bounded index's view of an entry: how to forget it, and since when it is quiet.</summary>
    private record struct Recency((IpAddress, ushort, IpAddress, ushort) Key, Entry Entry, long LastSeenNs);

    /// <summary>One flow's index and the sequence number each direction started with.</summary>
    private sealed class Entry
    {
        private bool _firstSet, _secondSet;
        private uint _firstBase, _secondBase;

        public Entry(long index) => Index = index;

        public long Index { get; }

        /// <summary>Its node in a bounded index's recency list (unlinked while not listed); null when unbounded.</summary>
        public LinkedListNode<Recency>? Recent { get; set; }

        public bool BaseOf(bool first, out uint sequence)
        {
            sequence = first ? _firstBase : _secondBase;
            return first ? _firstSet : _secondSet;
        }

        /// <summary>The base is the SYN's sequence number, or the one before the first sequence number seen mid-stream.</summary>
        public void Observe(bool first, bool syn, uint sequence)
        {
            if (first && !_firstSet)
            {
                _firstSet = true;
                _firstBase = syn ? sequence : sequence - 1;
            }
            else if (!first && !_secondSet)
            {
                _secondSet = true;
                _secondBase = syn ? sequence : sequence - 1;
            }
        }
    }
}
