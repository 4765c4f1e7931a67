using System.Runtime.InteropServices;

namespace Tributary.Capture.Filters;

/// <summary>
/// One classic BPF instruction, laid out as the kernel's <c>struct sock_filter</c> (linux/filter.h) and
/// libpcap's <c>struct bpf_insn</c>: code, jump-if-true, jump-if-false, constant.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    /// <summary>As <c>tcpdump -dd</c> prints it: <c>{ 0x28, 0, 0, 0x0000000c },</c>.</summary>
    public override string ToString() => $"{{ 0x{Code:x}, {JumpTrue}, {JumpFalse}, 0x{K:x8} }}";
}
