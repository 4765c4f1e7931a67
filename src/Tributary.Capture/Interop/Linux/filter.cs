using System.Runtime.InteropServices;
using Tributary.Capture.Filters;

namespace Tributary.Capture.Interop;

// <linux/filter.h>: classic BPF socket filters.
internal static class Filter
{
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_DETACH_FILTER = 27;
    public const int SO_LOCK_FILTER = 44;
}

/// <summary>struct sock_filter (8 bytes): same layout as <see cref="BpfInstruction"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sock_filter
{
    public ushort code;
    public byte jt;
    public byte jf;
    public uint k;
}

/// <summary>struct sock_fprog (16 bytes on 64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sock_fprog
{
    public ushort len;
    public sock_filter* filter;
}
