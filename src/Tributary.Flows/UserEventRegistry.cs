namespace Tributary.Flows;

/// <summary>
/// The definitions of user-defined events (mOS's global "d-forest", INVENTORY §10): shared by every context that
/// is given the same registry (sharded monitors), so an event id means the same everywhere. Thread-safe.
/// </summary>
public sealed class UserEventRegistry
{
    /// <summary>The first user-defined event id (mOS <c>1 &lt;&lt; NUM_BEV</c>).</summary>
    public const ulong FirstId = 4096;

    private readonly Lock _lock = new();
    private readonly List<Definition> _definitions = [];

    internal sealed record Definition(MonitorEvent Id, MonitorEvent Parent, EventFilter? Filter, byte[] Argument, bool Allocated)
    {
        /// <summary>The built-in event at the root of this event's tree.</summary>
        public MonitorEvent Root { get; init; }
    }

    /// <summary>
    /// mOS <c>mtcp_define_event</c>: a child of <paramref name="baseEvent"/> (a built-in event or a defined UDE)
    /// raised when <paramref name="filter"/> returns true. Idempotent: the same base, filter and argument bytes
    /// give the same id. Returns <see cref="MonitorEvent.None"/> when the base is unknown.
    /// </summary>
    public MonitorEvent Define(MonitorEvent baseEvent, EventFilter filter, ReadOnlyMemory<byte> argument = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        lock (_lock)
        {
            MonitorEvent root = RootOf(baseEvent);
            if (root == MonitorEvent.None)
                return MonitorEvent.None;
            foreach (Definition d in _definitions)
            {
                if (!d.Allocated && d.Parent == baseEvent && d.Filter == filter && argument.Span.SequenceEqual(d.Argument))
                    return d.Id;
            }
            var def = new Definition(NextId(), baseEvent, filter, argument.ToArray(), Allocated: false) { Root = root };
            _definitions.Add(def);
            return def.Id;
        }
    }

    /// <summary>mOS <c>mtcp_alloc_event</c>: a filter-less child of <paramref name="parent"/>, raised only by <see cref="MonitorContext.RaiseEvent"/> from the parent's filter.</summary>
    public MonitorEvent Allocate(MonitorEvent parent)
    {
        lock (_lock)
        {
            MonitorEvent root = RootOf(parent);
            if (root == MonitorEvent.None)
                return MonitorEvent.None;
            var def = new Definition(NextId(), parent, null, [], Allocated: true) { Root = root };
            _definitions.Add(def);
            return def.Id;
        }
    }

    internal Definition? Find(MonitorEvent id)
    {
        ulong v = (ulong)id;
        if (v < FirstId)
            return null;
        lock (_lock)
        {
            ulong index = v - FirstId;
            return index < (ulong)_definitions.Count ? _definitions[(int)index] : null;
        }
    }

    /// <summary>True for a single built-in bit (bit 0 … 11).</summary>
    internal static bool IsBuiltIn(MonitorEvent ev)
    {
        ulong v = (ulong)ev;
        return v != 0 && v < FirstId && (v & (v - 1)) == 0;
    }

    private MonitorEvent RootOf(MonitorEvent ev)
    {
        if (IsBuiltIn(ev))
            return ev;
        ulong v = (ulong)ev;
        if (v < FirstId)
            return MonitorEvent.None;
        ulong index = v - FirstId;
        return index < (ulong)_definitions.Count ? _definitions[(int)index].Root : MonitorEvent.None;
    }

    private MonitorEvent NextId() => (MonitorEvent)(FirstId + (ulong)_definitions.Count);
}
