using System.Runtime.InteropServices;

namespace Tributary.Mptcp.Interop;

// <signal.h>: a shell starts background jobs with SIGINT ignored, and an ignored signal never reaches
// a handler (.NET's PosixSignalRegistration, like mptcpd's signalfd; SUMMARY.md pitfall 7). The daemon
// restores the default disposition before it registers its own handler.
internal static partial class Libc
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;
    public static readonly nint SIG_DFL = 0;
    public static readonly nint SIG_IGN = 1;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    public static partial nint signal(int signum, nint handler);
}
