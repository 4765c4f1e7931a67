using System.Runtime.InteropServices;

namespace Tributary.Netlink.Interop;

// <errno.h>: the errno values the netlink layer acts on, and names for messages.
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int EOPNOTSUPP = 95;
    public const int ENOBUFS = 105;
    public const int ENETUNREACH = 101;
    public const int EHOSTUNREACH = 113;

    /// <summary>The symbolic name of an errno value (EBUSY), or its number.</summary>
    public static string Name(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 3 => "ESRCH", 4 => "EINTR", 5 => "EIO", 6 => "ENXIO", 7 => "E2BIG",
        9 => "EBADF", 11 => "EAGAIN", 12 => "ENOMEM", 13 => "EACCES", 14 => "EFAULT", 16 => "EBUSY",
        17 => "EEXIST", 19 => "ENODEV", 22 => "EINVAL", 23 => "ENFILE", 24 => "EMFILE", 28 => "ENOSPC",
        34 => "ERANGE", 61 => "ENODATA", 71 => "EPROTO", 74 => "EBADMSG", 75 => "EOVERFLOW",
        90 => "EMSGSIZE", 93 => "EPROTONOSUPPORT", 95 => "EOPNOTSUPP", 97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE", 99 => "EADDRNOTAVAIL", 101 => "ENETUNREACH", 105 => "ENOBUFS",
        110 => "ETIMEDOUT", 111 => "ECONNREFUSED", 113 => "EHOSTUNREACH", 114 => "EALREADY",
        115 => "EINPROGRESS", 125 => "ECANCELED",
        _ => errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>strerror(3) text for an errno value.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
