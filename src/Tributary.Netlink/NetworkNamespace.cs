using System.Runtime.ExceptionServices;
using Tributary.Netlink.Interop;

namespace Tributary.Netlink;

/// <summary>
/// Runs code inside a named network namespace. A socket belongs to the namespace of the thread that
/// created it and stays there, so creating it on a short-lived thread that called setns(2) gives a
/// socket bound to that namespace while the rest of the process stays where it is. The thread is
/// never returned to the thread pool.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>
    /// The file for a namespace: a name as in <c>ip netns list</c> (/run/netns/NAME), or an absolute
    /// path such as <c>/proc/PID/ns/net</c>.
    /// </summary>
    public static string GetPath(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        return nameOrPath.StartsWith('/') ? nameOrPath : $"/run/netns/{nameOrPath}";
    }

    /// <summary>Runs <paramref name="action"/> on a dedicated thread inside the namespace and returns its result.</summary>
    /// <exception cref="NetlinkException">The namespace cannot be opened or entered (errno and path in the message).</exception>
    public static T Run<T>(string nameOrPath, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        string path = GetPath(nameOrPath);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
                if (fd < 0)
                    throw new NetlinkException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), null, $"open network namespace {path}");
                try
                {
                    if (Libc.setns(fd, Libc.CLONE_NEWNET) != 0)
                        throw new NetlinkException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), null, $"setns {path}");
                }
                finally
                {
                    Libc.close(fd);
                }
                result = action();
            }
#pragma warning disable CA1031 // the exception is rethrown on the calling thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + nameOrPath,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
