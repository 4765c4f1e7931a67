using System.Runtime.InteropServices;
using Tributary.Capture.Interop;

namespace Tributary.Capture.Live;

/// <summary>Per-interface facts asked of the kernel with ioctls on an open socket (in the socket's namespace).</summary>
internal static unsafe class InterfaceInfo
{
    public static LinkType LinkTypeOf(int fd, string interfaceName, out bool loopback)
    {
        Libc.ifreq_hwaddr request = default;
        WriteName(request.ifr_name, interfaceName);
        if (Libc.ioctl(fd, Libc.SIOCGIFHWADDR, &request) < 0)
            throw new CaptureSystemException($"ioctl(SIOCGIFHWADDR, {interfaceName})", Marshal.GetLastPInvokeError());
        loopback = request.sa_family == Libc.ARPHRD_LOOPBACK;
        return request.sa_family switch
        {
            Libc.ARPHRD_ETHER or Libc.ARPHRD_LOOPBACK => LinkType.Ethernet,
            Libc.ARPHRD_NONE or Libc.ARPHRD_PPP => LinkType.Raw,
            _ => throw new CaptureSystemException($"interface {interfaceName}", Errno.EINVAL,
                $"hardware type {request.sa_family} is not supported (Ethernet, loopback, tun and PPP are)"),
        };
    }

    /// <summary>The interface's MTU (SIOCGIFMTU): the largest IP packet it sends, link header not counted.</summary>
    public static int MtuOf(int fd, string interfaceName)
    {
        Libc.ifreq_mtu request = default;
        WriteName(request.ifr_name, interfaceName);
        if (Libc.ioctl(fd, Libc.SIOCGIFMTU, &request) < 0)
            throw new CaptureSystemException($"ioctl(SIOCGIFMTU, {interfaceName})", Marshal.GetLastPInvokeError());
        return request.ifr_mtu;
    }

    private static void WriteName(byte* destination, string interfaceName)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(interfaceName);
        if (name.Length >= Libc.IFNAMSIZ)
            throw new CaptureSystemException($"interface {interfaceName}", Errno.ENODEV, "name too long");
        for (int i = 0; i < name.Length; i++)
            destination[i] = name[i];
    }
}
