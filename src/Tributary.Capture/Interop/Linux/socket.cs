using System.Runtime.InteropServices;

namespace Tributary.Capture.Interop;

// <sys/socket.h>, <sys/mman.h>, <poll.h>, <sys/eventfd.h>, <net/if.h>, <sys/ioctl.h>, <unistd.h>:
// the libc calls AF_PACKET capture needs.
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDBUF = 7;
    public const int MSG_DONTWAIT = 0x40;

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MAP_PRIVATE = 2;
    public const int MAP_LOCKED = 0x2000;
    public const int MADV_SEQUENTIAL = 2;
    public const int MADV_DONTNEED = 4;

    public const short POLLIN = 0x001;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    public const uint SIOCGIFHWADDR = 0x8927;
    public const uint SIOCGIFMTU = 0x8921;
    public const int IFNAMSIZ = 16;

    /// <summary>ETH_P_ALL (linux/if_ether.h), host order.</summary>
    public const ushort ETH_P_ALL = 0x0003;

    /// <summary>ARPHRD_* (linux/if_arp.h).</summary>
    public const ushort ARPHRD_ETHER = 1;
    public const ushort ARPHRD_PPP = 512;
    public const ushort ARPHRD_LOOPBACK = 772;
    public const ushort ARPHRD_IPGRE = 778;
    public const ushort ARPHRD_NONE = 0xFFFE;

    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    /// <summary>struct ifreq with the ifr_hwaddr member (40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct ifreq_hwaddr
    {
        public fixed byte ifr_name[IFNAMSIZ];
        public ushort sa_family;
        public fixed byte sa_data[14];
    }

    /// <summary>struct ifreq with the ifr_mtu member (40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct ifreq_mtu
    {
        public fixed byte ifr_name[IFNAMSIZ];
        public int ifr_mtu;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int bind(int fd, void* addr, int addrlen);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int madvise(void* addr, nuint length, int advice);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint count, int timeout);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial int ioctl(int fd, uint request, void* argument);

    /// <summary>htons.</summary>
    public static ushort Htons(ushort value) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
}
