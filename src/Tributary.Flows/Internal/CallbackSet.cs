using System.Numerics;

namespace Tributary.Flows.Internal;

/// <summary>
/// The callbacks of one (socket, hook) — mOS's per-(socket, hook) subtree (INVENTORY §10): a callback per
/// built-in event and, under each built-in, the user-defined events registered there (with the UDEs on the
/// path to them). Immutable: a registration builds a new set (path copying), so flows that inherited a
/// listener's set keep it when the listener changes (copy-on-write, SUMMARY item 7), and a change takes effect
/// from the next dispatch.
/// </summary>
internal sealed class CallbackSet
{
    public const int BuiltInCount = 12;

    public static readonly CallbackSet Empty = new(new MonitorCallback?[BuiltInCount], new UdeNode?[BuiltInCount]);

    public readonly MonitorCallback?[] BuiltIns;
    /// <summary>Per built-in bit: a virtual node whose children are the UDEs defined on that built-in.</summary>
    public readonly UdeNode?[] Trees;
    /// <summary>Built-in bits with a callback at or below them: a dispatch with no bit in common does nothing.</summary>
    public readonly ulong ActiveMask;

    private CallbackSet(MonitorCallback?[] builtIns, UdeNode?[] trees)
    {
        BuiltIns = builtIns;
        Trees = trees;
        ulong mask = 0;
        for (int i = 0; i < BuiltInCount; i++)
        {
            if (builtIns[i] is not null || (trees[i] is { Active: true }))
                mask |= 1UL << i;
        }
        ActiveMask = mask;
    }

    public static int IndexOf(MonitorEvent builtIn) => BitOperations.TrailingZeroCount((ulong)builtIn);

    /// <summary>The callback registered for <paramref name="ev"/> (built-in or UDE path), or null.</summary>
    public MonitorCallback? Lookup(MonitorEvent ev, IReadOnlyList<UserEventRegistry.Definition> path)
    {
        if (path.Count == 0)
            return BuiltIns[IndexOf(ev)];
        UdeNode? node = Trees[IndexOf(path[0].Root)];
        foreach (UserEventRegistry.Definition d in path)
        {
            node = node?.Child(d.Id);
            if (node is null)
                return null;
        }
        return node!.Callback;
    }

    /// <summary>A copy with <paramref name="callback"/> (null = none) for the built-in <paramref name="ev"/>.</summary>
    public CallbackSet WithBuiltIn(MonitorEvent ev, MonitorCallback? callback)
    {
        var b = (MonitorCallback?[])BuiltIns.Clone();
        b[IndexOf(ev)] = callback;
        return new CallbackSet(b, Trees);
    }

    /// <summary>A copy with <paramref name="callback"/> set on the UDE at the end of <paramref name="path"/> (root-first definitions).</summary>
    public CallbackSet WithUde(IReadOnlyList<UserEventRegistry.Definition> path, MonitorCallback? callback)
    {
        int idx = IndexOf(path[0].Root);
        var t = (UdeNode?[])Trees.Clone();
        t[idx] = UdeNode.WithPath(Trees[idx] ?? UdeNode.Virtual, path, 0, callback);
        return new CallbackSet(BuiltIns, t);
    }
}

/// <summary>A user-defined event in a callback set: its filter, argument, callback and children (registration order).</summary>
internal sealed class UdeNode
{
    public static readonly UdeNode Virtual = new(null, null, []);

    public readonly UserEventRegistry.Definition? Definition;
    public readonly MonitorCallback? Callback;
    public readonly UdeNode[] Children;
    /// <summary>A callback exists at or below this node (filters are evaluated lazily, INVENTORY §10).</summary>
    public readonly bool Active;

    private UdeNode(UserEventRegistry.Definition? definition, MonitorCallback? callback, UdeNode[] children)
    {
        Definition = definition;
        Callback = callback;
        Children = children;
        bool active = callback is not null;
        foreach (UdeNode c in children)
            active |= c.Active;
        Active = active;
    }

    public MonitorEvent Event => Definition?.Id ?? MonitorEvent.None;

    public UdeNode? Child(MonitorEvent id)
    {
        foreach (UdeNode c in Children)
        {
            if (c.Event == id)
                return c;
        }
        return null;
    }

    public static UdeNode WithPath(UdeNode node, IReadOnlyList<UserEventRegistry.Definition> path, int depth, MonitorCallback? callback)
    {
        UserEventRegistry.Definition d = path[depth];
        UdeNode? existing = node.Child(d.Id);
        UdeNode replacement = depth == path.Count - 1
            ? new UdeNode(d, callback, existing?.Children ?? [])
            : WithPath(existing ?? new UdeNode(d, null, []), path, depth + 1, callback);
        UdeNode[] children;
        if (existing is null)
        {
            children = [.. node.Children, replacement];
        }
        else
        {
            children = (UdeNode[])node.Children.Clone();
            children[Array.IndexOf(node.Children, existing)] = replacement;
        }
        return new UdeNode(node.Definition, node.Callback, children);
    }
}
