using Microsoft.Extensions.Logging;
using Tributary.Netlink;

namespace Tributary.Mptcp;

public sealed partial class PathManager
{
    /// <summary>
    /// Recovers from lost MPTCP events (the event socket overflowed): empty the socket (the queued
    /// events are older than the dump; emptying also ends the kernel's congestion state, so a later
    /// loss is reported again), read the kernel's connections and subflows from sock_diag in the
    /// path manager's namespace, and deliver the difference with what plugins were told
    /// (<see cref="ConnectionResync.Plan"/>). Events queued during the dump may repeat what the resync
    /// reported; <see cref="Dispatch"/> drops those. Runs on the event thread, so no other MPTCP event
    /// is dispatched meanwhile; the dump runs outside the dispatch lock.
    /// </summary>
    private void Resync()
    {
        Interlocked.Increment(ref _resyncs);
        int discarded = _events!.DiscardQueued();
        List<KernelConnection> kernel;
        try
        {
            _diag ??= MptcpDiagClient.Open(_options.NetworkNamespace);
            kernel = ConnectionResync.FromDiag(_diag.DumpConnections(includeListeners: true), _diag.DumpSubflows());
        }
        catch (Exception ex) when (ex is NetlinkException or ObjectDisposedException)
        {
            _log.LogError("MPTCP connections cannot be re-read from the kernel after lost events: {Error}", ex.Message);
            return;
        }
        int closed = 0, created = 0, established = 0, subflowsUp = 0, subflowsDown = 0, unchanged;
        lock (_dispatch)
        {
            foreach (TrackedConnection t in _tokens.Values)
                t.ClosedByResync = null; // their stale SUB_CLOSED events were just discarded
            var known = _tokens.Select(kv => new KnownConnection(kv.Key, kv.Value.Local, kv.Value.Remote, kv.Value.Established,
                kv.Value.Subflows.ToArray())).ToList();
            List<MptcpEventAttributes> plan = ConnectionResync.Plan(known, kernel);
            var touched = new HashSet<uint>();
            foreach (MptcpEventAttributes e in plan)
            {
                touched.Add(e.Token);
                switch (e.Type)
                {
                    case MptcpEventType.Closed: closed++; break;
                    case MptcpEventType.Created: created++; break;
                    case MptcpEventType.Established: established++; break;
                    case MptcpEventType.SubflowEstablished: subflowsUp++; break;
                    case MptcpEventType.SubflowClosed: subflowsDown++; break;
                }
                Dispatch(e, fromResync: true);
            }
            unchanged = known.Count(k => !touched.Contains(k.Token));
        }
        _log.LogInformation(
            "MPTCP connections re-read from the kernel after lost events: {Kernel} open; {Closed} closed, {Created} new, {Established} established, {SubflowsUp} subflows established, {SubflowsDown} subflows closed, {Unchanged} unchanged ({Discarded} queued events discarded)",
            kernel.Count, closed, created, established, subflowsUp, subflowsDown, unchanged, discarded);
    }

    /// <summary>Parks the event thread until <see cref="ResumeEventLoop"/>; false when the path manager stops meanwhile.</summary>
    private bool WaitAtGate()
    {
        _eventLoopParked.Set();
        try
        {
            while (!_eventGate.Wait(200))
            {
                if (_stopping)
                    return false;
            }
            return !_stopping;
        }
        finally
        {
            _eventLoopParked.Reset();
        }
    }

    /// <summary>
    /// Test hook: stops reading MPTCP events (they queue in the socket, and overflow it) and waits until
    /// the event thread is parked. False when it did not park within <paramref name="timeout"/>.
    /// </summary>
    internal bool PauseEventLoop(TimeSpan timeout)
    {
        _eventGate.Reset();
        return _eventThread is not null && _eventLoopParked.Wait(timeout);
    }

    /// <summary>Test hook: reads MPTCP events again.</summary>
    internal void ResumeEventLoop() => _eventGate.Set();
}
