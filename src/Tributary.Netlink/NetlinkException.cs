using Tributary.Netlink.Interop;

namespace Tributary.Netlink;

/// <summary>
/// The kernel refused a request or a netlink socket call failed: the errno, its name, and the
/// kernel's extended-ack text when it sent one (e.g. "too many addresses or duplicate one").
/// </summary>
public class NetlinkException : IOException
{
    public NetlinkException(int errno, string? extendedAckMessage = null, string? operation = null,
        uint? extendedAckOffset = null, ushort? missingAttribute = null)
        : base(Format(errno, extendedAckMessage, operation), errno)
    {
        Errno = errno;
        ExtendedAckMessage = extendedAckMessage;
        Operation = operation;
        ExtendedAckOffset = extendedAckOffset;
        MissingAttribute = missingAttribute;
    }

    /// <summary>The positive errno value (EBUSY = 16 …).</summary>
    public int Errno { get; }

    /// <summary>The symbolic errno name, e.g. <c>EBUSY</c>.</summary>
    public string ErrnoName => Interop.Errno.Name(Errno);

    /// <summary>NLMSGERR_ATTR_MSG: the kernel's explanation, if it gave one.</summary>
    public string? ExtendedAckMessage { get; }

    /// <summary>NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request.</summary>
    public uint? ExtendedAckOffset { get; }

    /// <summary>NLMSGERR_ATTR_MISS_TYPE: the type of a missing required attribute.</summary>
    public ushort? MissingAttribute { get; }

    /// <summary>What was being done (e.g. <c>add_addr</c>), for messages.</summary>
    public string? Operation { get; }

    private static string Format(int errno, string? ext, string? op)
    {
        string text = $"{Interop.Errno.Describe(errno)} ({Interop.Errno.Name(errno)})";
        if (!string.IsNullOrEmpty(ext))
            text = $"{ext}: {text}";
        return op is null ? text : $"{op}: {text}";
    }
}

/// <summary>
/// The socket's receive buffer overflowed (ENOBUFS): the kernel dropped messages. A state tracker
/// must re-dump and diff; the socket itself stays usable.
/// </summary>
public sealed class NetlinkOverrunException : NetlinkException
{
    public NetlinkOverrunException()
        : base(Interop.Errno.ENOBUFS, "netlink receive buffer overflowed, messages were lost")
    {
    }
}

/// <summary>A message from the kernel did not have the shape the protocol requires.</summary>
public sealed class NetlinkProtocolException(string message) : IOException(message);
