using System.Net;
using Microsoft.Extensions.Logging;
using Tributary.Netlink;

namespace Tributary.Mptcp.Internal;

/// <summary>
/// The address advertiser's state and its reconciliation with the kernel (DESIGN.md "Paths"): the
/// eligible addresses in order of appearance; the desired endpoint set is the first
/// <see cref="MaxEndpoints"/> of them (the kernel's cap), the others wait and are promoted when an
/// endpoint goes away. A worker thread makes the kernel's endpoint table equal to the desired set:
/// removals first (to free slots under the cap), then additions, then the limits. Address events only
/// update the model and wake the worker, so a burst coalesces into a few passes, and a pass that sees
/// the model change after a slow DEL_ADDR (4–14 ms in the kernel) starts over from the new state.
/// <para>Fixes of mptcpd's addr_adv (SUMMARY pitfalls 2–4): endpoints follow link flaps and missed
/// events (the kernel table is re-read after any refusal, after a network-monitor resync and
/// periodically, and stale endpoints are removed); an address already in the table is never added
/// again; the limits are raised from what the administrator set, never lowered below it, and every
/// change is logged.</para>
/// </summary>
internal sealed class EndpointReconciler : IDisposable
{
    /// <summary>The kernel's cap on in-kernel endpoints (MPTCP_PM_ADDR_MAX).</summary>
    public const int MaxEndpoints = 8;

    private readonly IEndpointTable _table;
    private readonly MptcpIdManager _ids;
    private readonly ILogger _log;
    private readonly Func<long> _resyncCount;
    private readonly Lock _lock = new();
    private readonly List<Candidate> _order = [];
    private readonly AutoResetEvent _wake = new(false);
    private readonly Dictionary<byte, MptcpEndpoint> _kernel = [];
    private readonly HashSet<byte> _added = [];
    private MptcpEndpointFlags _flags;
    private long _version;
    private bool _kernelStale = true;
    private long _seenResyncs;
    private MptcpLimits _baseline;
    private MptcpLimits? _lastSet;
    private Thread? _worker;
    private bool _started;
    private volatile bool _stopping;
    /// <summary>Serializes passes: the worker's and those run on the caller's thread (<see cref="Kick"/>).</summary>
    private readonly Lock _pass = new();
    private long _lastPassEnd = long.MinValue / 2;
    private long _passes;
    private string? _lastFailure;
    private long _failures;
    /// <summary>Refused commands by (command, error): written by the passes, read by metrics (under <see cref="_lock"/>).</summary>
    private readonly Dictionary<(string Command, string Error), long> _failureKinds = [];
    /// <summary>The kernel's table as the last pass read or changed it, for readers on other threads.</summary>
    private volatile MptcpEndpoint[] _endpointSnapshot = [];

    public EndpointReconciler(IEndpointTable table, MptcpIdManager ids, MptcpEndpointFlags flags, ILogger log, Func<long>? resyncCount = null)
    {
        _table = table;
        _ids = ids;
        _flags = flags;
        _log = log;
        _resyncCount = resyncCount ?? (() => 0);
    }

    /// <summary>How often the kernel table is re-read even without a reason (someone else may edit it).</summary>
    public TimeSpan VerifyInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Completed reconciliation passes.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Kernel commands that failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Refused kernel commands by command (add_addr, remove_addr, set_limits) and error (errno name, or no_id).</summary>
    public IReadOnlyList<(string Command, string Error, long Count)> FailureKinds
    {
        get
        {
            lock (_lock)
                return _failureKinds.Select(kv => (kv.Key.Command, kv.Key.Error, kv.Value)).ToList();
        }
    }

    /// <summary>
    /// The kernel's endpoint table as the advertiser last read or changed it (its own endpoints and any others).
    /// Any thread.
    /// </summary>
    public IReadOnlyList<MptcpEndpoint> Endpoints => _endpointSnapshot;

    /// <summary>Eligible addresses beyond the first <see cref="MaxEndpoints"/>: waiting for a slot.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
                return Math.Max(0, _order.Count - MaxEndpoints);
        }
    }

    /// <summary>Raised (on the worker thread) after each pass that left the kernel equal to the desired set.</summary>
    public event Action? Converged;

    /// <summary>The desired endpoint set now: the first eight eligible addresses and their interfaces.</summary>
    public IReadOnlyList<(IPAddress Address, int InterfaceIndex)> Desired
    {
        get
        {
            lock (_lock)
                return _order.Take(MaxEndpoints).Select(c => (c.Address, c.InterfaceIndex)).ToList();
        }
    }

    /// <summary>Every eligible address in order of appearance (desired first, then waiting).</summary>
    public IReadOnlyList<IPAddress> Eligible
    {
        get
        {
            lock (_lock)
                return _order.Select(c => c.Address).ToList();
        }
    }

    /// <summary>
    /// An address appeared (or moved to another interface, keeping its place). <paramref name="flags"/> are
    /// its interface's endpoint flags; null means the global addr-flags.
    /// </summary>
    public void AddressAppeared(int interfaceIndex, IPAddress address, MptcpEndpointFlags? flags = null)
    {
        var key = new MptcpAddress(address);
        lock (_lock)
        {
            int i = IndexOf(key);
            if (i >= 0)
            {
                if (_order[i].InterfaceIndex == interfaceIndex && _order[i].Flags == flags)
                    return;
                _order[i] = _order[i] with { InterfaceIndex = interfaceIndex, Flags = flags };
            }
            else
            {
                _order.Add(new Candidate(address, key, interfaceIndex, flags));
            }
            _version++;
        }
        Kick();
    }

    /// <summary>An address went away.</summary>
    public void AddressRemoved(IPAddress address)
    {
        var key = new MptcpAddress(address);
        lock (_lock)
        {
            int i = IndexOf(key);
            if (i < 0)
                return;
            _order.RemoveAt(i);
            _version++;
        }
        Kick();
    }

    /// <summary>An interface went away or down: its addresses go (the monitor reports no per-address deletes).</summary>
    public void InterfaceRemoved(int interfaceIndex)
    {
        lock (_lock)
        {
            if (_order.RemoveAll(c => c.InterfaceIndex == interfaceIndex) == 0)
                return;
            _version++;
        }
        Kick();
    }

    /// <summary>
    /// Reads the kernel's endpoints and limits (the administrator's baseline), adopts the endpoints whose
    /// address is still present (<paramref name="present"/>: address → interface) ahead of the addresses
    /// reported so far, and starts the worker. Endpoints of vanished addresses will be removed.
    /// <paramref name="interfaceFlags"/> gives the endpoint flags of interfaces that do not use the global ones.
    /// </summary>
    public void Start(IReadOnlyDictionary<MptcpAddress, int> present, bool startWorker = true,
        IReadOnlyDictionary<int, MptcpEndpointFlags>? interfaceFlags = null)
    {
        RefreshKernel();
        _baseline = _table.GetLimits();
        lock (_lock)
        {
            var adopted = new List<Candidate>();
            foreach (MptcpEndpoint e in _kernel.Values.OrderBy(e => e.Id))
            {
                var key = new MptcpAddress(e.Address);
                if ((e.Flags & MptcpEndpointFlags.Implicit) != 0 || IndexOf(key) >= 0 || !present.TryGetValue(key, out int ifIndex))
                    continue;
                adopted.Add(new Candidate(e.Address, key, ifIndex,
                    interfaceFlags is not null && interfaceFlags.TryGetValue(ifIndex, out MptcpEndpointFlags f) ? f : null));
            }
            _order.InsertRange(0, adopted);
            _version++;
        }
        _started = true;
        if (!startWorker)
            return; // unit tests drive ReconcileOnce themselves
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "tributary addr_adv" };
        _worker.Start();
        _wake.Set();
    }

    /// <summary>Wakes the worker for an immediate pass (tests, kernel table known to have changed).</summary>
    public void Poke(bool kernelChanged = false)
    {
        if (kernelChanged)
        {
            lock (_lock)
                _kernelStale = true;
        }
        _wake.Set();
    }

    private int IndexOf(in MptcpAddress key)
    {
        for (int i = 0; i < _order.Count; i++)
        {
            if (_order[i].Key.SameAddress(key))
                return i;
        }
        return -1;
    }

    /// <summary>
    /// After a change: an isolated one (no pass for <see cref="QuietMilliseconds"/>) is reconciled at once on the
    /// caller's thread, which saves the worker's wake-up on the path from an address to its endpoint; during a burst
    /// the worker does it, coalescing the changes into as few passes as it can.
    /// </summary>
    private void Kick()
    {
        if (_worker is not null && !_stopping
            && Environment.TickCount64 - Interlocked.Read(ref _lastPassEnd) > QuietMilliseconds && _pass.TryEnter())
        {
            bool ok;
            try
            {
                ok = Pass();
            }
            finally
            {
                _pass.Exit();
            }
            if (ok)
                return;
        }
        if (!_stopping)
            _wake.Set(); // a burst, a pass in progress, or a failure to retry with the worker's pacing
    }

    private const int QuietMilliseconds = 20;

    /// <summary>One reconciliation under <see cref="_pass"/>; failures are logged, counted and leave the table stale.</summary>
    private bool Pass()
    {
        try
        {
            return ReconcileOnce();
        }
#pragma warning disable CA1031 // the reconciler must survive anything the kernel or a bug throws at it
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError(ex, "addr_adv: reconciliation failed");
            lock (_lock)
                _kernelStale = true;
            return false;
        }
        finally
        {
            Interlocked.Exchange(ref _lastPassEnd, Environment.TickCount64);
        }
    }

    private void WorkerLoop()
    {
        bool failed = false;
        while (!_stopping)
        {
            TimeSpan wait = failed ? TimeSpan.FromSeconds(1) : VerifyInterval;
            if (!_wake.WaitOne(wait))
            {
                lock (_lock)
                    _kernelStale = true; // periodic check: the table may have been edited by someone else
            }
            if (_stopping)
                break;
            lock (_pass)
                failed = !Pass();
        }
    }

    /// <summary>One reconciliation; true when the kernel ended equal to the desired set without errors.</summary>
    internal bool ReconcileOnce()
    {
        while (!_stopping)
        {
            long resyncs = _resyncCount();
            bool stale;
            lock (_lock)
            {
                stale = _kernelStale || resyncs != _seenResyncs;
                _seenResyncs = resyncs;
            }
            if (stale)
                RefreshKernel();

            List<Candidate> desired;
            long version;
            MptcpEndpointFlags flags;
            lock (_lock)
            {
                desired = _order.Take(MaxEndpoints).ToList();
                version = _version;
                flags = _flags;
            }
            bool ok = true;
            bool restart = false;

            // Removals first: the kernel refuses a ninth endpoint (ERANGE).
            foreach (MptcpEndpoint e in _kernel.Values.OrderBy(e => e.Id).ToList())
            {
                if ((e.Flags & MptcpEndpointFlags.Implicit) != 0 && !desired.Exists(c => c.Key.SameAddress(new MptcpAddress(e.Address))))
                    continue; // the kernel's record of a peer-joined address: deleting it would cut a live subflow
                Candidate? c = desired.Find(c => c.Key.SameAddress(new MptcpAddress(e.Address)));
                if (c is not null && Matches(e, c, flags))
                    continue;
                if (!Remove(e, keepId: c is not null))
                    ok = false;
                if (Changed(version))
                {
                    restart = true;
                    break;
                }
            }
            if (restart)
                continue;

            foreach (Candidate c in desired)
            {
                if (_kernel.Values.Any(e => c.Key.SameAddress(new MptcpAddress(e.Address))))
                    continue;
                if (!Add(c, flags))
                    ok = false;
            }
            // add_addr_accepted follows the subflow flag of any endpoint (per-interface flags included).
            MptcpEndpointFlags all = flags;
            foreach (Candidate c in desired)
                all |= c.Flags ?? flags;
            if (!UpdateLimits(desired.Count, all))
                ok = false;
            Interlocked.Increment(ref _passes);
            if (Changed(version))
                continue;
            if (ok)
            {
                _lastFailure = null;
                Converged?.Invoke();
            }
            return ok;
        }
        return false;
    }

    private bool Changed(long version)
    {
        lock (_lock)
            return _version != version;
    }

    private static bool Matches(MptcpEndpoint e, Candidate c, MptcpEndpointFlags flags) =>
        e.Port == 0 && e.InterfaceIndex == c.InterfaceIndex && (e.Flags & ~MptcpEndpointFlags.Implicit) == (c.Flags ?? flags)
        && (e.Flags & MptcpEndpointFlags.Implicit) == 0;

    private bool Remove(MptcpEndpoint e, bool keepId)
    {
        try
        {
            _table.Remove(e.Id);
        }
        catch (NetlinkException ex) when (ex.Errno is 2 or 22)
        {
            // Already gone (someone else removed it): the goal is reached.
        }
        catch (NetlinkException ex)
        {
            Failure("remove_addr", ex.ErrnoName, ex.Message);
            MarkStale();
            return false;
        }
        _kernel.Remove(e.Id);
        PublishEndpoints();
        _added.Remove(e.Id);
        if (!keepId)
            _ids.RemoveId(e.Address);
        return true;
    }

    private bool Add(Candidate c, MptcpEndpointFlags flags)
    {
        byte id = _ids.GetId(c.Address);
        if (id == 0)
        {
            Failure("add_addr", "no_id", "Unable to map addr to ID.");
            return false;
        }
        var e = new MptcpEndpoint(id, c.Address, c.Flags ?? flags, c.InterfaceIndex);
        try
        {
            _table.Add(e);
        }
        catch (NetlinkException ex)
        {
            // EBUSY (id taken), EEXIST (address taken), ERANGE (table full): the table is not what we
            // believed; re-read it and retry on the next pass instead of repeating the same request.
            Failure("add_addr", ex.ErrnoName, ex.Message);
            MarkStale();
            return false;
        }
        _kernel[id] = e;
        PublishEndpoints();
        _added.Add(id);
        return true;
    }

    /// <summary>
    /// Counts and logs a refused command; the same refusal again (a retry every second while, say,
    /// CAP_NET_ADMIN is missing or someone else's endpoints fill the table) is logged at debug level only.
    /// </summary>
    private void Failure(string operation, string error, string message)
    {
        Interlocked.Increment(ref _failures);
        lock (_lock)
            _failureKinds[(operation, error)] = _failureKinds.GetValueOrDefault((operation, error)) + 1;
        string text = message.StartsWith(operation, StringComparison.Ordinal) ? message : $"{operation}: {message}";
        if (text == _lastFailure)
        {
            _log.LogDebug("{Error} (again)", text);
            return;
        }
        _lastFailure = text;
        _log.LogError("{Error}", text);
    }

    private void MarkStale()
    {
        lock (_lock)
            _kernelStale = true;
    }

    /// <summary>Reads the kernel's table and aligns the id manager with it (the kernel's ids win).</summary>
    private void RefreshKernel()
    {
        IReadOnlyList<MptcpEndpoint> dump = _table.Dump();
        lock (_lock)
            _kernelStale = false;
        _kernel.Clear();
        foreach (MptcpEndpoint e in dump)
        {
            _kernel[e.Id] = e;
            if (!_ids.MapId(e.Address, e.Id) && _ids.FindAddress(e.Id) is { } holder)
            {
                _ids.RemoveId(holder);
                _ids.MapId(e.Address, e.Id);
            }
        }
        PublishEndpoints();
    }

    private void PublishEndpoints() => _endpointSnapshot = [.. _kernel.Values.OrderBy(e => e.Id)];

    /// <summary>
    /// mptcpd's limits (subflows = 2 + endpoints, at most 8; add_addr_accepted = subflows with
    /// <c>subflow</c>, else 0), but never below what the administrator set: the values found at start,
    /// or later values someone else set, are the floor. Every change is logged.
    /// </summary>
    private bool UpdateLimits(int endpoints, MptcpEndpointFlags flags)
    {
        try
        {
            MptcpLimits current = _table.GetLimits();
            if (_lastSet is { } last && current != last)
            {
                _log.LogInformation("MPTCP limits were changed outside the daemon ({Limits}); keeping them as the minimum.", current);
                _baseline = current;
            }
            uint subflows = (uint)Math.Min(MaxEndpoints, 2 + endpoints);
            uint accepted = (flags & MptcpEndpointFlags.Subflow) != 0 ? subflows : 0;
            var target = new MptcpLimits(Math.Max(_baseline.Subflows, subflows), Math.Max(_baseline.AddAddrAccepted, accepted));
            if (target != current)
            {
                _table.SetLimits(target);
                _log.LogInformation("MPTCP limits: {From} -> {To} (administrator's minimum: {Baseline}).", current, target, _baseline);
            }
            _lastSet = target;
            return true;
        }
        catch (NetlinkException ex)
        {
            Failure("set_limits", ex.ErrnoName, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Stops the worker. With <paramref name="removeEndpoints"/>, removes the endpoints this advertiser
    /// added and restores the limits found at start.
    /// </summary>
    public void Stop(bool removeEndpoints)
    {
        _stopping = true;
        _wake.Set();
        _worker?.Join();
        lock (_pass)
        {
            // a pass running on a caller's thread (Kick) has finished
        }
        if (!removeEndpoints || !_started)
            return;
        foreach (byte id in _added.ToList())
        {
            if (_kernel.TryGetValue(id, out MptcpEndpoint? e))
                Remove(e, keepId: false);
        }
        if (_lastSet is { } last && last != _baseline)
        {
            try
            {
                _table.SetLimits(_baseline);
                _log.LogInformation("MPTCP limits restored to {Limits}.", _baseline);
            }
            catch (NetlinkException ex)
            {
                _log.LogError("set_limits: {Error}", ex.Message);
            }
        }
    }

    public void Dispose()
    {
        if (!_stopping)
            Stop(removeEndpoints: false);
        _wake.Dispose();
    }

    /// <summary>An eligible address; <see cref="Flags"/> null means the global addr-flags.</summary>
    private sealed record Candidate(IPAddress Address, MptcpAddress Key, int InterfaceIndex, MptcpEndpointFlags? Flags);
}
