using System.Runtime.InteropServices;

namespace Tributary.Netlink.Interop;

// <sys/socket.h>, <poll.h>, <sys/eventfd.h>, <unistd.h>: the libc calls the netlink layer needs.
// Blittable signatures only, so LibraryImport generates no marshalling code.
internal static unsafe partial class Libc
{
    public const int AF_UNSPEC = 0;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int AF_BRIDGE = 7;

    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOCK_NONBLOCK = 0x800;

    public const int SOL_SOCKET = 1;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;

    public const int MSG_PEEK = 0x2;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_TRUNC = 0x20;

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int getsockname(int sockfd, void* addr, uint* addrlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint recvfrom(int sockfd, void* buf, nuint len, int flags, void* src_addr, uint* addrlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint sendto(int sockfd, void* buf, nuint len, int flags, void* dest_addr, uint addrlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int close(int fd);
}
