using System.Runtime.InteropServices;

namespace Tributary.Capture.Interop;

// <errno.h>: the values live capture acts on, and names for messages.
internal static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EMSGSIZE = 90;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;

    public static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        4 => "EINTR",
        6 => "ENXIO",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        19 => "ENODEV",
        22 => "EINVAL",
        24 => "EMFILE",
        90 => "EMSGSIZE",
        93 => "EPROTONOSUPPORT",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        100 => "ENETDOWN",
        105 => "ENOBUFS",
        _ => errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
