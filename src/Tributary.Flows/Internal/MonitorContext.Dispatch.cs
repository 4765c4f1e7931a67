using System.Numerics;
using System.Runtime.CompilerServices;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>
/// Event dispatch (mOS <c>HandleCallback</c>, INVENTORY §4, §10): built-ins in bit order, each built-in's UDE
/// subtree right after its own callback, depth first, filters evaluated lazily.
/// </summary>
public sealed partial class MonitorContext
{
    private const ulong EvError = (ulong)MonitorEvent.Error;
    private const ulong EvNewData = (ulong)MonitorEvent.ConnectionNewData;

    private UdeNode? _filterNode;
    private readonly List<MonitorEvent> _raised = [];
    private readonly List<(int Flow, int Generation, Side Side)> _pendingNewData = [];

    /// <summary>Dispatches <paramref name="events"/> on one hook of a flow to its sockets in chain order (INVENTORY §3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DispatchFlow(int flow, Side side, HookPoint hook, ulong events, bool forwardOrder)
    {
        ref FlowRecord f = ref _flows[flow];
        ulong flowMask = hook == HookPoint.Send ? f.SendMask : hook == HookPoint.Receive ? f.ReceiveMask : f.NullMask;
        if ((events & flowMask) == 0)
            return;
        if (forwardOrder)
        {
            for (MonitorSocket? s = f.FirstSocket; s is not null;)
            {
                MonitorSocket? next = s.NextInFlow;
                if ((events & s.Callbacks[(int)hook].ActiveMask) != 0 && !s.Detached && !s.IsStopped(side))
                    DispatchSocket(s, side, hook, events);
                s = next;
            }
        }
        else
        {
            for (MonitorSocket? s = f.LastSocket; s is not null;)
            {
                MonitorSocket? prev = s.PrevInFlow;
                if ((events & s.Callbacks[(int)hook].ActiveMask) != 0 && !s.Detached && !s.IsStopped(side))
                    DispatchSocket(s, side, hook, events);
                s = prev;
            }
        }
    }

    /// <summary>One mOS HandleCallback: the socket's callback set for the hook, captured once (changes apply from the next dispatch, B5).</summary>
    private void DispatchSocket(MonitorSocket s, Side side, HookPoint hook, ulong events)
    {
        CallbackSet set = s.Callbacks[(int)hook];
        ulong mask = events & set.ActiveMask;
        while (mask != 0)
        {
            int i = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            var ev = (MonitorEvent)(1UL << i);
            set.BuiltIns[i]?.Invoke(this, s, side, ev);
            UdeNode? tree = set.Trees[i];
            if (tree is { Active: true })
                EvaluateChildren(tree, s, side);
        }
    }

    private void EvaluateChildren(UdeNode parent, MonitorSocket s, Side side)
    {
        foreach (UdeNode child in parent.Children)
        {
            if (child.Active && !child.Definition!.Allocated)
                EvaluateNode(child, s, side);
        }
    }

    private void EvaluateNode(UdeNode node, MonitorSocket s, Side side)
    {
        int raisedStart = _raised.Count;
        bool pass = RunFilter(node, s, side);
        // B6: mOS runs a passing filter twice (its duplicated registration spine), back to back.
        if (pass && _compat && node.Callback is not null)
            pass = RunFilter(node, s, side);
        if (!pass)
        {
            _raised.RemoveRange(raisedStart, _raised.Count - raisedStart);
            return;
        }
        node.Callback?.Invoke(this, s, side, node.Event);
        // B7: events raised by the filter run right after the node's callback, before its defined children.
        for (int i = raisedStart; i < _raised.Count; i++)
        {
            UdeNode? raised = node.Child(_raised[i]);
            if (raised is null)
                continue;
            raised.Callback?.Invoke(this, s, side, raised.Event);
            EvaluateChildren(raised, s, side);
        }
        _raised.RemoveRange(raisedStart, _raised.Count - raisedStart);
        EvaluateChildren(node, s, side);
    }

    private bool RunFilter(UdeNode node, MonitorSocket s, Side side)
    {
        UdeNode? saved = _filterNode;
        _filterNode = node;
        try
        {
            UserEventRegistry.Definition d = node.Definition!;
            return d.Filter!(this, s, side, d.Id, d.Argument);
        }
        finally
        {
            _filterNode = saved;
        }
    }

    private MonitorError RaiseEventCore(MonitorEvent ev)
    {
        if (_compat)
            return MonitorError.Unchanged; // B7: always -1 in mOS
        UserEventRegistry.Definition? d = UserEvents.Find(ev);
        if (d is null || !d.Allocated || _filterNode is null || d.Parent != _filterNode.Event)
            return MonitorError.InvalidArgument;
        _raised.Add(ev);
        return MonitorError.None;
    }

    /// <summary>ERROR at the Null hook, side = the receiving side, to every socket monitoring it, at once (INVENTORY §8).</summary>
    private void RaiseError(int flow, Side side)
    {
        _stats.ErrorsField++;
        DispatchFlow(flow, side, HookPoint.Null, EvError, forwardOrder: true);
    }

    /// <summary>Buffer outrun (S24): ERROR to each socket whose peek offset lags behind the head the write will need.</summary>
    private void RaiseOutrunErrors(int flow, Side side, long newHead)
    {
        ref FlowRecord f = ref _flows[flow];
        bool any = false;
        for (MonitorSocket? s = f.FirstSocket; s is not null;)
        {
            MonitorSocket? next = s.NextInFlow;
            if (!s.Detached && !s.IsStopped(side) && s.PeekOffset(side) < newHead)
            {
                any = true;
                DispatchSocket(s, side, HookPoint.Null, EvError);
            }
            s = next;
        }
        if (any)
            _stats.ErrorsField++;
    }

    /// <summary>Recomputes the flow's per-hook event masks after its sockets or their registrations changed.</summary>
    private void RecomputeFlowMasks(int flow)
    {
        ref FlowRecord f = ref _flows[flow];
        ulong snd = 0, rcv = 0, nul = 0;
        for (MonitorSocket? s = f.FirstSocket; s is not null; s = s.NextInFlow)
        {
            snd |= s.Callbacks[(int)HookPoint.Send].ActiveMask;
            rcv |= s.Callbacks[(int)HookPoint.Receive].ActiveMask;
            nul |= s.Callbacks[(int)HookPoint.Null].ActiveMask;
        }
        f.SendMask = snd;
        f.ReceiveMask = rcv;
        f.NullMask = nul;
    }

    private void QueueNewData(int flow, Side side)
    {
        ref FlowRecord f = ref _flows[flow];
        byte bit = (byte)(side == Side.Client ? 1 : 2);
        if ((f.PendingNewData & bit) != 0)
            return;
        f.PendingNewData |= bit;
        _pendingNewData.Add((flow, f.Generation, side));
    }

    /// <summary>After the frame (one frame per batch): timers due at its instant, then CONN_NEW_DATA (INVENTORY §3 step 12).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AfterFrame(long timestampUs)
    {
        if (timestampUs >= _nextDueUs)
            FireDue(timestampUs, inclusive: true);
        if (_pendingNewData.Count != 0)
            FlushNewData();
    }

    private void FlushNewData()
    {
        if (_pendingNewData.Count == 0)
            return;
        for (int i = 0; i < _pendingNewData.Count; i++)
        {
            (int flow, int generation, Side side) = _pendingNewData[i];
            ref FlowRecord f = ref _flows[flow];
            if (!f.InUse || f.Generation != generation)
                continue;
            f.PendingNewData = 0;
            ref SideState x = ref SideOf(ref f, side == Side.Client);
            if (x.Buffer < 0)
                continue; // mOS raises it only for a side with a receive buffer
            _currentFlow = flow;
            DispatchFlow(flow, side, HookPoint.Null, EvNewData, forwardOrder: true);
        }
        _currentFlow = -1;
        _pendingNewData.Clear();
    }

    /// <summary>mOS diagnostic line (<c>[function: line] text</c>, function right-aligned in 10 columns, line in 4).</summary>
    private void Diagnostic(string function, int line, string text) =>
        DiagnosticWriter?.Invoke(FormatDiagnostic(function, line, text));

    internal static string FormatDiagnostic(string function, int line, string text) =>
        $"[{function,10}:{line,4}] {text}";
}
