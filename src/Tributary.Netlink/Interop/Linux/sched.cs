using System.Runtime.InteropServices;

namespace Tributary.Netlink.Interop;

// <sched.h>, <fcntl.h>: entering a network namespace.
internal static partial class Libc
{
    public const int CLONE_NEWNET = 0x40000000;
    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string pathname, int flags);
}
