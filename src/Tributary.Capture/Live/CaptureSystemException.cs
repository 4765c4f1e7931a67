using Tributary.Capture.Interop;

namespace Tributary.Capture.Live;

/// <summary>A system call of live capture or sending failed: the operation, errno and its name.</summary>
public sealed class CaptureSystemException : IOException
{
    public CaptureSystemException(string operation, int errno, string? detail = null)
        : base($"{operation}: {Interop.Errno.Describe(errno)} ({Interop.Errno.Name(errno)}){(detail is null ? "" : " — " + detail)}", errno)
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>What was being done (e.g. <c>setsockopt(PACKET_RX_RING)</c>).</summary>
    public string Operation { get; }

    /// <summary>The positive errno value.</summary>
    public int Errno { get; }

    /// <summary>The symbolic errno name, e.g. <c>EPERM</c>.</summary>
    public string ErrnoName => Interop.Errno.Name(Errno);
}
