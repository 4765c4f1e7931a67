using System.Runtime.CompilerServices;
using Tributary.Mptcp.Interop;
using Tributary.Netlink;

namespace Tributary.Mptcp;

/// <summary>What one <see cref="MptcpEventListener.TryRead"/> produced.</summary>
public enum MptcpEventReadResult
{
    /// <summary>Nothing arrived before the timeout.</summary>
    Timeout,

    /// <summary>An MPTCP event was decoded.</summary>
    Event,

    /// <summary>The receive buffer overflowed: events were lost (ENOBUFS). The listener stays usable.</summary>
    Overrun,

    /// <summary>The nlctrl "notify" group reported the mptcp_pm family gone (module unloaded).</summary>
    FamilyRemoved,

    /// <summary>The nlctrl "notify" group reported the mptcp_pm family (re)appearing.</summary>
    FamilyAdded,
}

/// <summary>
/// Receives the kernel's "mptcp_pm_events" multicast group on a socket of its own (requests and events
/// never share a socket). Decoding allocates nothing (<see cref="TryRead"/>); <see cref="ReadEventsAsync"/>
/// gives typed records. Only kernel-sent datagrams are accepted. Messages that are not valid events
/// are counted in <see cref="MalformedMessages"/>, never thrown.
/// </summary>
public sealed class MptcpEventListener : IDisposable
{
    /// <summary>Receive buffer asked for by default: bursts of connection events must not overflow it.</summary>
    public const int DefaultReceiveBufferSize = 4 * 1024 * 1024;

    private readonly NetlinkSocket _socket;
    private readonly byte[] _rx = new byte[NetlinkSocket.DefaultReceiveBufferLength];
    private int _length;
    private int _offset;

    private MptcpEventListener(NetlinkSocket socket, GenericNetlinkFamily family)
    {
        _socket = socket;
        Family = family;
    }

    public GenericNetlinkFamily Family { get; }

    /// <summary>The socket's file descriptor, for poll(2).</summary>
    public int FileDescriptor => _socket.FileDescriptor;

    /// <summary>Messages dropped because they were not decodable mptcp_pm events.</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>Attributes dropped because of a wrong length (the event itself was kept).</summary>
    public long MalformedAttributes { get; private set; }

    /// <summary>Receive-buffer overruns (each lost an unknown number of events).</summary>
    public long Overruns { get; private set; }

    /// <summary>
    /// Opens the listener in a namespace (null: the process's own), resolves mptcp_pm, joins its events
    /// group and, with <paramref name="watchFamily"/>, the controller's "notify" group.
    /// </summary>
    public static MptcpEventListener Open(string? networkNamespace = null, int receiveBufferSize = DefaultReceiveBufferSize, bool watchFamily = true)
    {
        NetlinkSocket socket = NetlinkSocket.Create(NetlinkProtocol.Generic, networkNamespace);
        try
        {
            GenericNetlinkFamily family = GenericNetlinkFamily.Resolve(socket, MptcpPm.MPTCP_PM_NAME);
            if (receiveBufferSize > 0)
                socket.SetReceiveBufferSize(receiveBufferSize);
            if (watchFamily)
            {
                GenericNetlinkFamily ctrl = GenericNetlinkFamily.Resolve(socket, "nlctrl");
                if (ctrl.MulticastGroups.TryGetValue("notify", out uint notify))
                    socket.JoinGroup(notify);
            }
            socket.JoinGroup(family.GetGroup(MptcpPm.MPTCP_PM_EV_GRP_NAME));
            return new MptcpEventListener(socket, family);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: forever) for the next event and decodes it
    /// into <paramref name="attributes"/> without allocating.
    /// </summary>
    public MptcpEventReadResult TryRead(out MptcpEventAttributes attributes, int timeoutMilliseconds = -1)
    {
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            MptcpEventReadResult? r = NextBuffered(out attributes);
            if (r is { } result)
                return result;
            int wait = deadline == long.MaxValue ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            try
            {
                if (!_socket.TryReceive(_rx, out NetlinkReceiveResult rr, wait))
                    return MptcpEventReadResult.Timeout;
                _length = rr.Length;
                _offset = 0;
            }
            catch (NetlinkOverrunException)
            {
                Overruns++;
                _length = _offset = 0;
                return MptcpEventReadResult.Overrun;
            }
        }
    }

    /// <summary>
    /// Drops every event queued in the socket (after an overrun, before re-reading the kernel's state:
    /// they are older than it). Emptying the queue also ends the kernel's congestion state, so that a
    /// later loss is reported again. Returns how many datagrams were dropped.
    /// </summary>
    public int DiscardQueued()
    {
        _length = _offset = 0;
        int n = 0;
        while (true)
        {
            try
            {
                if (!_socket.TryReceiveNow(_rx, out _))
                    return n;
                n++;
            }
            catch (NetlinkOverrunException)
            {
                Overruns++;
            }
        }
    }

    /// <summary>The next message of the current datagram, if any.</summary>
    private MptcpEventReadResult? NextBuffered(out MptcpEventAttributes attributes)
    {
        attributes = default;
        while (_offset < _length)
        {
            var reader = new NetlinkMessageReader(_rx.AsSpan(_offset, _length - _offset));
            if (!reader.MoveNext())
            {
                MalformedMessages++;
                _offset = _length;
                return null;
            }
            NetlinkMessage m = reader.Current;
            _offset += reader.Consumed;
            if (m.Type == Family.Id)
            {
                if (MptcpEventAttributes.TryParse(m.Payload, out attributes))
                {
                    MalformedAttributes += attributes.MalformedAttributes;
                    return MptcpEventReadResult.Event;
                }
                MalformedMessages++;
                continue;
            }
            if (m.Type == GenericNetlinkFamily.ControllerId && GenericNetlinkFamily.Parse(m) is { } f && f.Name == MptcpPm.MPTCP_PM_NAME)
                return GenericNetlinkFamily.IsFamilyRemoved(m) ? MptcpEventReadResult.FamilyRemoved : MptcpEventReadResult.FamilyAdded;
        }
        return null;
    }

    /// <summary>Typed events until cancelled (family and overrun notices are skipped; see <see cref="Overruns"/>).</summary>
    public async IAsyncEnumerable<MptcpEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            MptcpEvent? e = null;
            while (true)
            {
                MptcpEventReadResult r = TryRead(out MptcpEventAttributes a, 0);
                if (r == MptcpEventReadResult.Event)
                {
                    e = MptcpEvent.From(a);
                    break;
                }
                if (r == MptcpEventReadResult.Timeout)
                    break;
            }
            if (e is not null)
            {
                yield return e;
                continue;
            }
            await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitReadableAsync(CancellationToken cancellationToken)
    {
        // The adopted Socket's epoll-based Poll is not async; poll(2) with a short timeout on a pool thread
        // keeps cancellation prompt without holding a thread forever.
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await Task.Run(() => _socket.WaitReadable(200), cancellationToken).ConfigureAwait(false))
                return;
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose() => _socket.Dispose();
}
