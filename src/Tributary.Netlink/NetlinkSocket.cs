using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tributary.Netlink.Interop;

namespace Tributary.Netlink;

/// <summary>Called for each reply message of a request or dump; the message is valid only during the call.</summary>
public delegate void NetlinkMessageHandler(in NetlinkMessage message);

/// <summary>What one receive returned besides the bytes.</summary>
public readonly record struct NetlinkReceiveResult(int Length, uint SenderPortId, bool Truncated)
{
    /// <summary>True when the datagram came from the kernel (sender port id 0).</summary>
    public bool FromKernel => SenderPortId == 0;
}

/// <summary>
/// A netlink socket (rtnetlink, generic netlink, …) created with socket(2) and adopted into a
/// <see cref="System.Net.Sockets.Socket"/> (which cannot create AF_NETLINK itself), bound to a
/// kernel-assigned port id. It sends requests with sequence numbers and waits for their
/// acknowledgement, reads multipart dumps to NLMSG_DONE (redoing a dump the kernel marks
/// NLM_F_DUMP_INTR), joins multicast groups, and turns kernel errors into
/// <see cref="NetlinkException"/> with the extended-ack text. Only datagrams from the kernel (sender
/// port id 0) are accepted: any local process can send to a netlink socket.
/// <para>Requests on one socket must not overlap; use one socket per thread, and a separate socket
/// for multicast events so that a request never has to skip over them.</para>
/// </summary>
public sealed class NetlinkSocket : IDisposable
{
    /// <summary>Receive buffer size for requests and dumps: the kernel sizes dump datagrams up to 32 KiB.</summary>
    public const int DefaultReceiveBufferLength = 64 * 1024;

    private const int MaxDumpAttempts = 200;
    private const int ImmediateDumpRetries = 8;

    private readonly int _fd;
    private readonly byte[] _rx = ArrayPool<byte>.Shared.Rent(DefaultReceiveBufferLength);
    private byte[]? _staging;
    private uint _sequence;
    private bool _disposed;

    private NetlinkSocket(int fd, NetlinkProtocol protocol, string? networkNamespace)
    {
        _fd = fd;
        Protocol = protocol;
        NetworkNamespace = networkNamespace;
        Socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        _sequence = (uint)Environment.TickCount;
        PortId = ReadPortId();
    }

    /// <summary>The adopted socket (for <c>ReceiveAsync</c> and options .NET knows about).</summary>
    public Socket Socket { get; }

    public NetlinkProtocol Protocol { get; }

    /// <summary>The namespace the socket lives in, or null for the process's own.</summary>
    public string? NetworkNamespace { get; }

    /// <summary>The port id the kernel assigned at bind time (<c>nl_pid</c>).</summary>
    public uint PortId { get; }

    /// <summary>Datagrams dropped because they did not come from the kernel.</summary>
    public long RejectedDatagrams { get; private set; }

    /// <summary>Dumps that were redone because the kernel flagged them NLM_F_DUMP_INTR.</summary>
    public long DumpRetries { get; private set; }

    /// <summary>
    /// Messages that arrived during a request but did not belong to it (another sequence number, or
    /// multicast); they go to this handler if set, else they are counted in <see cref="UnsolicitedMessages"/>.
    /// </summary>
    public NetlinkMessageHandler? UnsolicitedMessageHandler { get; set; }

    public long UnsolicitedMessages { get; private set; }

    /// <summary>The file descriptor, for poll(2) and socket options .NET does not wrap.</summary>
    public int FileDescriptor => _disposed ? throw new ObjectDisposedException(nameof(NetlinkSocket)) : _fd;

    /// <summary>
    /// Opens a netlink socket, optionally inside a named network namespace (see
    /// <see cref="Netlink.NetworkNamespace"/>). It is non-blocking underneath; the blocking calls of
    /// this class wait with poll(2).
    /// </summary>
    public static NetlinkSocket Create(NetlinkProtocol protocol, string? networkNamespace = null)
    {
        return networkNamespace is null
            ? CreateHere(protocol, null)
            : Netlink.NetworkNamespace.Run(networkNamespace, () => CreateHere(protocol, networkNamespace));
    }

    private static unsafe NetlinkSocket CreateHere(NetlinkProtocol protocol, string? ns)
    {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, (int)protocol);
        if (fd < 0)
            throw new NetlinkException(Marshal.GetLastPInvokeError(), null, $"socket(AF_NETLINK, {protocol})");
        var addr = new sockaddr_nl { nl_family = Libc.AF_NETLINK };
        if (Libc.bind(fd, &addr, (uint)sizeof(sockaddr_nl)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            throw new NetlinkException(errno, null, "bind(AF_NETLINK)");
        }
        try
        {
            var s = new NetlinkSocket(fd, protocol, ns);
            // The kernel then sends acknowledgements without echoing the request, and error
            // replies with their extended-ack text.
            s.TrySetNetlinkOption(Interop.Netlink.NETLINK_CAP_ACK, 1);
            s.TrySetNetlinkOption(Interop.Netlink.NETLINK_EXT_ACK, 1);
            return s;
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Sets the receive buffer. As root, SO_RCVBUFFORCE lifts the <c>net.core.rmem_max</c> cap;
    /// otherwise SO_RCVBUF applies, capped. The kernel doubles the value for bookkeeping.
    /// </summary>
    public void SetReceiveBufferSize(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (SetOption(Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes) != 0)
            ThrowIfError(SetOption(Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes), "setsockopt(SO_RCVBUF)");
    }

    /// <summary>The receive buffer size as the kernel reports it (twice what was set).</summary>
    public unsafe int ReceiveBufferSize
    {
        get
        {
            int v = 0;
            uint len = sizeof(int);
            ThrowIfError(Libc.getsockopt(FileDescriptor, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &v, &len), "getsockopt(SO_RCVBUF)");
            return v;
        }
    }

    /// <summary>Joins a multicast group (NETLINK_ADD_MEMBERSHIP, any group number).</summary>
    public void JoinGroup(uint group) =>
        ThrowIfError(SetOption(Interop.Netlink.SOL_NETLINK, Interop.Netlink.NETLINK_ADD_MEMBERSHIP, (int)group), $"join netlink group {group}");

    public void LeaveGroup(uint group) =>
        ThrowIfError(SetOption(Interop.Netlink.SOL_NETLINK, Interop.Netlink.NETLINK_DROP_MEMBERSHIP, (int)group), $"leave netlink group {group}");

    /// <summary>
    /// NETLINK_GET_STRICT_CHK: the kernel validates request headers strictly and honours the
    /// filters of dump requests (e.g. an RTM_GETADDR dump of one ifindex).
    /// </summary>
    public bool TryEnableStrictChecking() => TrySetNetlinkOption(Interop.Netlink.NETLINK_GET_STRICT_CHK, 1);

    /// <summary>The next request sequence number.</summary>
    public uint NextSequence() => ++_sequence == 0 ? ++_sequence : _sequence;

    /// <summary>Sends one message (or several back to back) to the kernel.</summary>
    public unsafe void Send(ReadOnlySpan<byte> message)
    {
        var dest = new sockaddr_nl { nl_family = Libc.AF_NETLINK };
        fixed (byte* p = message)
        {
            while (true)
            {
                nint n = Libc.sendto(FileDescriptor, p, (nuint)message.Length, 0, &dest, (uint)sizeof(sockaddr_nl));
                if (n >= 0)
                    return;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                {
                    WaitWritable();
                    continue;
                }
                throw new NetlinkException(errno, null, "send netlink request");
            }
        }
    }

    /// <summary>
    /// Receives one datagram, waiting up to <paramref name="timeoutMilliseconds"/> (-1: forever).
    /// Returns false on timeout. Datagrams not from the kernel are dropped and counted.
    /// </summary>
    /// <exception cref="NetlinkOverrunException">The receive buffer overflowed and messages were lost.</exception>
    public bool TryReceive(Span<byte> buffer, out NetlinkReceiveResult result, int timeoutMilliseconds = -1)
    {
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            if (ReceiveNow(buffer, out result))
            {
                if (result.FromKernel)
                    return true;
                RejectedDatagrams++;
                continue;
            }
            int wait = deadline == long.MaxValue ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            if (!WaitReadable(wait))
                return false;
        }
    }

    /// <summary>Receives one datagram without waiting; false when none is queued.</summary>
    public bool TryReceiveNow(Span<byte> buffer, out NetlinkReceiveResult result)
    {
        while (ReceiveNow(buffer, out result))
        {
            if (result.FromKernel)
                return true;
            RejectedDatagrams++;
        }
        return false;
    }

    /// <summary>Receives one datagram from the kernel asynchronously (epoll, through the adopted socket).</summary>
    public async ValueTask<NetlinkReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var from = new SocketAddress(AddressFamily.Unknown, SocketAddress.GetMaximumAddressSize(AddressFamily.Unknown));
        while (true)
        {
            int n;
            try
            {
                n = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable || ex.NativeErrorCode == Errno.ENOBUFS)
            {
                throw new NetlinkOverrunException();
            }
            uint sender = from.Size >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(from.Buffer.Span[4..]) : uint.MaxValue;
            if (sender == 0)
                return new NetlinkReceiveResult(n, 0, false);
            RejectedDatagrams++;
        }
    }

    /// <summary>Waits until a datagram is queued; false on timeout.</summary>
    public unsafe bool WaitReadable(int timeoutMilliseconds)
    {
        var pfd = new Libc.pollfd { fd = FileDescriptor, events = Libc.POLLIN };
        while (true)
        {
            int r = Libc.poll(&pfd, 1, timeoutMilliseconds);
            if (r > 0)
                return true;
            if (r == 0)
                return false;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                throw new NetlinkException(errno, null, "poll netlink socket");
        }
    }

    /// <summary>
    /// Sends a request (NLM_F_REQUEST | NLM_F_ACK are added, the sequence number and port id are
    /// filled in) and waits for its acknowledgement, passing any reply messages to
    /// <paramref name="onReply"/>.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel answered with an error (errno + extended ack).</exception>
    public void Execute(Span<byte> request, NetlinkMessageHandler? onReply = null, string? operation = null)
    {
        uint seq = Prepare(request, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
        Send(request);
        while (true)
        {
            ReceiveForRequest(out NetlinkReceiveResult r, operation);
            var reader = new NetlinkMessageReader(_rx.AsSpan(0, r.Length));
            while (reader.MoveNext())
            {
                NetlinkMessage m = reader.Current;
                if (!IsReplyTo(m, seq))
                {
                    Unsolicited(m);
                    continue;
                }
                if (m.Type == NetlinkMessageType.Error)
                {
                    int code = m.ErrorCode;
                    if (code == 0)
                        return;
                    throw ErrorFromReply(m, operation);
                }
                if (m.Type == NetlinkMessageType.Done)
                    return;
                onReply?.Invoke(m);
            }
            if (reader.Malformed)
                throw new NetlinkProtocolException($"{operation ?? "netlink request"}: malformed reply at byte {reader.MalformedOffset}");
        }
    }

    /// <summary>
    /// Sends a dump request (NLM_F_REQUEST | NLM_F_DUMP are added) and reads every part up to
    /// NLMSG_DONE. A dump the kernel marks NLM_F_DUMP_INTR (the data changed while it was being
    /// dumped) is read to its end, discarded and redone, so <paramref name="onMessage"/> only ever
    /// sees one consistent dump: the parts are staged (in a buffer the socket keeps for its next
    /// dumps) and handed over once NLMSG_DONE arrives clean.
    /// </summary>
    public void Dump(Span<byte> request, NetlinkMessageHandler onMessage, string? operation = null)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        for (int attempt = 1; ; attempt++)
        {
            int staged = DumpOnce(request, operation, null, out bool interrupted);
            if (!interrupted)
            {
                // Replay from a copy of the reference: a handler may start another dump on this socket.
                byte[] staging = _staging!;
                _staging = null;
                try
                {
                    var reader = new NetlinkMessageReader(staging.AsSpan(0, staged));
                    foreach (NetlinkMessage m in reader)
                        onMessage(m);
                }
                finally
                {
                    _staging ??= staging;
                }
                return;
            }
            CountRetry(attempt, operation);
        }
    }

    /// <summary>
    /// Like <see cref="Dump(Span{byte}, NetlinkMessageHandler, string?)"/>, but streams each part to
    /// <paramref name="onMessage"/> as it arrives, without staging. When the kernel marks the dump
    /// NLM_F_DUMP_INTR, <paramref name="onRestart"/> is called after the last part, and the dump is
    /// redone: the handler must then forget what it saw. For large dumps whose consumer can reset.
    /// </summary>
    public void Dump(Span<byte> request, NetlinkMessageHandler onMessage, Action onRestart, string? operation = null)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        ArgumentNullException.ThrowIfNull(onRestart);
        for (int attempt = 1; ; attempt++)
        {
            DumpOnce(request, operation, onMessage, out bool interrupted);
            if (!interrupted)
                return;
            onRestart();
            CountRetry(attempt, operation);
        }
    }

    private void CountRetry(int attempt, string? operation)
    {
        DumpRetries++;
        if (attempt >= MaxDumpAttempts)
            throw new NetlinkException(Errno.EBUSY, $"dump interrupted {attempt} times in a row", operation);
        // Under a sustained storm of changes every dump that spans several reads is interrupted: after a few
        // immediate retries, wait for a quieter moment (1, 2, 4 … 32 ms), so that the attempts cover seconds of
        // churn rather than the first few milliseconds of it.
        if (attempt > ImmediateDumpRetries)
            Thread.Sleep(1 << Math.Min(attempt - ImmediateDumpRetries - 1, 5));
    }

    /// <summary>One pass of a dump: streams data messages to <paramref name="stream"/>, or stages them when it is null.</summary>
    private int DumpOnce(Span<byte> request, string? operation, NetlinkMessageHandler? stream, out bool interrupted)
    {
        uint seq = Prepare(request, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump);
        Send(request);
        interrupted = false;
        int staged = 0;
        while (true)
        {
            ReceiveForRequest(out NetlinkReceiveResult r, operation);
            ReadOnlySpan<byte> datagram = _rx.AsSpan(0, r.Length);
            var reader = new NetlinkMessageReader(datagram);
            int offset = 0;
            while (reader.MoveNext())
            {
                NetlinkMessage m = reader.Current;
                int start = offset;
                offset = reader.Consumed;
                if (!IsReplyTo(m, seq))
                {
                    Unsolicited(m);
                    continue;
                }
                if ((m.Flags & NetlinkMessageFlags.DumpInterrupted) != 0)
                    interrupted = true;
                if (m.Type == NetlinkMessageType.Error)
                {
                    if (m.ErrorCode == 0)
                        continue;
                    throw ErrorFromReply(m, operation);
                }
                if (m.Type == NetlinkMessageType.Done)
                {
                    // NLMSG_DONE carries the dump's final status.
                    int status = m.Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(m.Payload) : 0;
                    if (status < 0)
                        throw ErrorFromReply(m, operation);
                    return staged;
                }
                if (stream is not null)
                {
                    stream(m);
                    continue;
                }
                ReadOnlySpan<byte> raw = datagram[start..offset];
                if (_staging is null || staged + raw.Length > _staging.Length)
                    Array.Resize(ref _staging, Math.Max(staged + raw.Length, Math.Max(64 * 1024, (_staging?.Length ?? 0) * 2)));
                raw.CopyTo(_staging.AsSpan(staged));
                staged += raw.Length;
            }
            if (reader.Malformed)
                throw new NetlinkProtocolException($"{operation ?? "netlink dump"}: malformed message at byte {reader.MalformedOffset}");
        }
    }

    private uint Prepare(Span<byte> request, NetlinkMessageFlags flags)
    {
        if (request.Length < Interop.Netlink.NLMSG_HDRLEN)
            throw new ArgumentException("a netlink request needs at least its 16-byte header", nameof(request));
        uint seq = NextSequence();
        ushort f = BinaryPrimitives.ReadUInt16LittleEndian(request[6..]);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], (ushort)(f | (ushort)flags));
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], seq);
        BinaryPrimitives.WriteUInt32LittleEndian(request[12..], PortId);
        return seq;
    }

    private bool IsReplyTo(in NetlinkMessage m, uint seq) => m.Sequence == seq && m.PortId == PortId;

    private void Unsolicited(in NetlinkMessage m)
    {
        UnsolicitedMessages++;
        UnsolicitedMessageHandler?.Invoke(m);
    }

    private void ReceiveForRequest(out NetlinkReceiveResult r, string? operation)
    {
        // A request's reply can be lost only if the buffer overflows with multicast traffic on the
        // same socket; that is misuse (see the class remarks) and surfaces as an exception.
        TryReceive(_rx, out r);
        if (r.Truncated)
            throw new NetlinkProtocolException($"{operation ?? "netlink request"}: a reply exceeds the {_rx.Length}-byte buffer");
    }

    private unsafe bool ReceiveNow(Span<byte> buffer, out NetlinkReceiveResult result)
    {
        var from = default(sockaddr_nl);
        uint fromLen = (uint)sizeof(sockaddr_nl);
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.recvfrom(FileDescriptor, p, (nuint)buffer.Length, Libc.MSG_TRUNC, &from, &fromLen);
                if (n >= 0)
                {
                    bool truncated = n > buffer.Length;
                    result = new NetlinkReceiveResult(truncated ? buffer.Length : (int)n, from.nl_pid, truncated);
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                {
                    result = default;
                    return false;
                }
                if (errno == Errno.ENOBUFS)
                    throw new NetlinkOverrunException();
                throw new NetlinkException(errno, null, "receive from netlink socket");
            }
        }
    }

    private unsafe void WaitWritable()
    {
        var pfd = new Libc.pollfd { fd = FileDescriptor, events = 0x4 /* POLLOUT */ };
        Libc.poll(&pfd, 1, 1000);
    }

    /// <summary>Builds the exception for an NLMSG_ERROR (or failed NLMSG_DONE) reply, with its extended ack.</summary>
    internal static NetlinkException ErrorFromReply(in NetlinkMessage m, string? operation)
    {
        int code = m.ErrorCode;
        int errno = code < 0 ? -code : (code == 0 ? Errno.EINVAL : code);
        string? text = null;
        uint? offset = null;
        ushort? missing = null;
        if ((m.Flags & NetlinkMessageFlags.AckTlvs) != 0)
        {
            // nlmsgerr = error + the request's header, then the request's payload unless capped.
            int tlvStart = m.Type == NetlinkMessageType.Done ? 4 : 4 + Interop.Netlink.NLMSG_HDRLEN;
            if (m.Type == NetlinkMessageType.Error && (m.Flags & NetlinkMessageFlags.Capped) == 0 && m.Payload.Length >= 8)
            {
                uint origLen = BinaryPrimitives.ReadUInt32LittleEndian(m.Payload[4..]);
                tlvStart = 4 + Interop.Netlink.NLMSG_ALIGN((int)Math.Min(origLen, (uint)m.Payload.Length));
            }
            if (tlvStart <= m.Payload.Length)
            {
                foreach (NetlinkAttribute a in new NetlinkAttributeReader(m.Payload[tlvStart..]))
                {
                    switch (a.Type)
                    {
                        case Interop.Netlink.NLMSGERR_ATTR_MSG:
                            text = a.GetString();
                            break;
                        case Interop.Netlink.NLMSGERR_ATTR_OFFS when a.TryGetU32(out uint o):
                            offset = o;
                            break;
                        case Interop.Netlink.NLMSGERR_ATTR_MISS_TYPE when a.TryGetU32(out uint t):
                            missing = (ushort)t;
                            break;
                    }
                }
            }
        }
        return errno == Errno.ENOBUFS && text is null
            ? new NetlinkOverrunException()
            : new NetlinkException(errno, text, operation, offset, missing);
    }

    private unsafe uint ReadPortId()
    {
        var addr = default(sockaddr_nl);
        uint len = (uint)sizeof(sockaddr_nl);
        ThrowIfError(Libc.getsockname(_fd, &addr, &len), "getsockname(AF_NETLINK)");
        return addr.nl_pid;
    }

    private bool TrySetNetlinkOption(int option, int value) => SetOption(Interop.Netlink.SOL_NETLINK, option, value) == 0;

    private unsafe int SetOption(int level, int option, int value) => Libc.setsockopt(FileDescriptor, level, option, &value, sizeof(int));

    private static void ThrowIfError(int rc, string operation)
    {
        if (rc != 0)
            throw new NetlinkException(Marshal.GetLastPInvokeError(), null, operation);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Socket.Dispose();
        ArrayPool<byte>.Shared.Return(_rx);
    }
}
