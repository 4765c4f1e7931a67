using System.Runtime.InteropServices;

namespace Tributary.Mptcp.Interop;

// <sys/stat.h>: the kind of a file, which System.IO does not tell for a socket (the control socket's path).
internal static unsafe partial class Libc
{
    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;

    [LibraryImport(Libraries.Libc, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte* buffer);

    /// <summary>st_mode of <paramref name="path"/> (not following a symbolic link); null when it cannot be read.</summary>
    public static uint? FileMode(string path)
    {
        // struct stat: st_mode follows st_dev, st_ino and st_nlink (8 bytes each) on x86-64, st_dev and st_ino on
        // the generic layout of arm64 and others.
        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        byte* buffer = stackalloc byte[256];
        return lstat(path, buffer) == 0 ? *(uint*)(buffer + offset) : null;
    }
}
