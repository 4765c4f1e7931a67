using System.Runtime.InteropServices;

namespace Tributary.Mptcp.Interop;

// <sys/socket.h>, <unistd.h>: creating MPTCP sockets, which System.Net.Sockets refuses to create
// itself (its PAL rejects IPPROTO_MPTCP; reference/dotnet/FEASIBILITY.md §4).
internal static partial class Libc
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int close(int fd);
}
