using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Mptcp;
using Tributary.Mptcp;
using Tributary.Netlink;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// The kernel side of <c>flows mptcp --pm-check</c>: this network namespace's MPTCP path manager, watched while the
/// capture runs and turned into the neutral <see cref="MptcpKernelView"/> that <see cref="MptcpPmCheck"/> compares with
/// the wire (Tributary.Flows does not know Tributary.Mptcp). It subscribes to the mptcp_pm events before the capture
/// opens, so that no captured connection's events are missed; lists the connections that are already open over
/// sock_diag (their handshakes cannot be on the wire); and reads the in-kernel endpoints at the start and at the end —
/// a <c>signal</c> endpoint is expected on the wire only when it was there all along. Events are read on a thread of
/// their own; <see cref="Finish"/> stops it after the capture ended and drains what the kernel queued until then.
/// </summary>
internal sealed class PathManagerWatch : IDisposable
{
    private readonly MptcpEventListener _events;
    private readonly MptcpKernelView _view = new();
    private readonly IReadOnlyList<MptcpEndpoint> _endpointsAtStart;
    private readonly Thread _reader;
    private volatile bool _stopping;
    private Exception? _failure;

    private PathManagerWatch(MptcpEventListener events, IReadOnlyList<MptcpEndpoint> endpoints)
    {
        _events = events;
        _endpointsAtStart = endpoints;
        _reader = new Thread(Read) { IsBackground = true, Name = "mptcp_pm events" };
    }

    /// <summary>Why the connections open before the watch are unknown (sock_diag failed), or null.</summary>
    public string? ExistingUnknown { get; private set; }

    public static PathManagerWatch Start()
    {
        MptcpEventListener events;
        IReadOnlyList<MptcpEndpoint> endpoints;
        try
        {
            events = MptcpEventListener.Open(watchFamily: false);
        }
        catch (NetlinkException ex)
        {
            throw new CommandLineException($"--pm-check: cannot watch the MPTCP path manager (generic netlink family mptcp_pm): {ex.Message}");
        }
        try
        {
            endpoints = DumpEndpoints();
        }
        catch
        {
            events.Dispose();
            throw;
        }
        var watch = new PathManagerWatch(events, endpoints);
        watch.ListExisting();
        foreach (IPAddress a in HostAddresses())
            watch._view.AddLocalAddress(IpAddress.FromIPAddress(a));
        watch._reader.Start();
        return watch;
    }

    /// <summary>Stops the event reader once it has read every queued event, and compares with <paramref name="wire"/>.</summary>
    public MptcpPmCheckResult Finish(IReadOnlyList<MptcpConnection> wire)
    {
        _stopping = true;
        _reader.Join();
        if (_failure is not null)
            throw new CommandLineException($"--pm-check: reading MPTCP events failed: {_failure.Message}");
        IReadOnlyList<MptcpEndpoint> atEnd = DumpEndpoints();
        if (SignalsAreKernels())
        {
            foreach (MptcpEndpoint e in _endpointsAtStart)
            {
                if ((e.Flags & MptcpEndpointFlags.Signal) != 0 && atEnd.Contains(e))
                    _view.AddSignalEndpoint(e.Id, IpAddress.FromIPAddress(Unmapped(e.Address)), e.Port);
            }
        }
        foreach (IPAddress a in HostAddresses())
            _view.AddLocalAddress(IpAddress.FromIPAddress(a));
        return MptcpPmCheck.Compare(wire, _view);
    }

    private void Read()
    {
        try
        {
            while (true)
            {
                // Once stopping, only what is queued already: the capture has ended.
                MptcpEventReadResult r = _events.TryRead(out MptcpEventAttributes a, _stopping ? 0 : 100);
                if (r == MptcpEventReadResult.Event)
                    Feed(a);
                else if (r == MptcpEventReadResult.Overrun)
                    _view.EventsLost++;
                else if (r == MptcpEventReadResult.Timeout && _stopping)
                    return;
            }
        }
        catch (Exception ex) when (ex is NetlinkException or ObjectDisposedException)
        {
            _failure = ex;
        }
    }

    private void Feed(in MptcpEventAttributes a)
    {
        if (a.MissingRequired != MptcpEventAttribute.None)
        {
            _view.OtherEvent();
            return;
        }
        switch (a.Type)
        {
            case MptcpEventType.Created:
                _view.ConnectionCreated(a.Token, End(a.Local), End(a.Remote), a.ServerSide);
                break;
            case MptcpEventType.Established:
                _view.ConnectionEstablished(a.Token, End(a.Local), End(a.Remote), a.ServerSide);
                break;
            case MptcpEventType.Closed:
                _view.ConnectionClosed(a.Token);
                break;
            case MptcpEventType.Announced:
                _view.AddressAnnounced(a.Token, a.RemoteId, Address(a.Remote), a.Remote.Port);
                break;
            case MptcpEventType.Removed:
                _view.AddressRemoved(a.Token, a.RemoteId);
                break;
            case MptcpEventType.SubflowEstablished:
                _view.SubflowEstablished(a.Token, End(a.Local), End(a.Remote), a.LocalId, a.RemoteId, a.Backup);
                break;
            case MptcpEventType.SubflowClosed:
                _view.SubflowClosed(a.Token, End(a.Local), End(a.Remote), a.LocalId, a.RemoteId, a.Backup,
                    a.Has(MptcpEventAttribute.Error) ? a.Error : null);
                break;
            case MptcpEventType.SubflowPriority:
                _view.SubflowPriority(a.Token, End(a.Local), End(a.Remote), a.LocalId, a.RemoteId, a.Backup);
                break;
            case MptcpEventType.ListenerCreated or MptcpEventType.ListenerClosed:
                _view.ListenerEvent();
                break;
            default:
                _view.OtherEvent();
                break;
        }
    }

    /// <summary>Connections and subflows open now: sock_diag (<c>ss -M</c>); without mptcp_diag they stay unknown, and said so.</summary>
    private void ListExisting()
    {
        try
        {
            using MptcpDiagClient diag = MptcpDiagClient.Open();
            foreach (MptcpConnectionInfo c in diag.DumpConnections())
            {
                if (c.Token != 0 && !c.IsFallback)
                    _view.ConnectionExisting(c.Token, End(c.Local), End(c.Remote));
            }
            foreach (MptcpSubflowInfo s in diag.DumpSubflows())
            {
                if (s.Token != 0)
                    _view.SubflowExisting(s.Token, End(s.Local), End(s.Remote), s.LocalId, s.RemoteId, s.Backup, s.IsInitial);
            }
        }
        catch (NetlinkException ex)
        {
            ExistingUnknown = ex.Message;
        }
    }

    private static IReadOnlyList<MptcpEndpoint> DumpEndpoints()
    {
        try
        {
            using MptcpPmClient pm = MptcpPmClient.Open();
            return pm.DumpEndpoints();
        }
        catch (NetlinkException ex)
        {
            throw new CommandLineException($"--pm-check: cannot read the MPTCP endpoints: {ex.Message}");
        }
    }

    /// <summary>
    /// True when the in-kernel path manager handles this namespace's connections (net.mptcp.pm_type 0, the default):
    /// only it announces the <c>signal</c> endpoints; a userspace one announces what it decides.
    /// </summary>
    private static bool SignalsAreKernels()
    {
        try
        {
            return File.ReadAllText("/proc/sys/net/mptcp/pm_type").Trim() == "0";
        }
        catch (IOException)
        {
            return true; // kernels before 5.19 have only the in-kernel PM
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>This namespace's addresses (sysfs and netlink are per namespace).</summary>
    private static IEnumerable<IPAddress> HostAddresses()
    {
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation u in nic.GetIPProperties().UnicastAddresses)
                yield return Unmapped(u.Address);
        }
    }

    private static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    private static MptcpSocketAddress End(in MptcpAddress a) => new(Address(a), a.Port);

    /// <summary>The address as the packet decoder holds it (IPv4 in the IPv4-mapped form, so that a dual-stack socket's mapped address is the IPv4 address it carries).</summary>
    private static IpAddress Address(in MptcpAddress a)
    {
        Span<byte> b = stackalloc byte[16];
        return a.WriteBytes(b) switch
        {
            4 => IpAddress.FromIPv4(b[..4]),
            16 => IpAddress.FromIPv6(b),
            _ => IpAddress.None,
        };
    }

    public void Dispose()
    {
        if (_reader.IsAlive)
        {
            _stopping = true;
            _reader.Join();
        }
        _events.Dispose();
    }
}
