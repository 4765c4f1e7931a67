using System.Runtime.InteropServices;

namespace Tributary.Mptcp;

/// <summary>
/// The main fields of <c>struct mptcp_info</c> (&lt;linux/mptcp.h&gt;). <see cref="Subflows"/> counts the
/// additional subflows (not the initial one); <see cref="SubflowsTotal"/> all of them (Linux ≥ 6.10).
/// </summary>
public sealed record MptcpInfo(byte Subflows, byte AddAddrSignal, byte AddAddrAccepted, byte SubflowsMax,
    byte AddAddrSignalMax, byte AddAddrAcceptedMax, uint Flags, uint Token, byte LocalAddressesUsed,
    byte LocalAddressesMax, byte SubflowsTotal)
{
    /// <summary>Decodes the bytes getsockopt returned; shorter (older kernel) structs leave later fields 0.</summary>
    public static MptcpInfo Parse(ReadOnlySpan<byte> bytes)
    {
        Span<byte> full = stackalloc byte[Marshal.SizeOf<Interop.mptcp_info>()];
        full.Clear();
        bytes[..Math.Min(bytes.Length, full.Length)].CopyTo(full);
        var i = MemoryMarshal.Read<Interop.mptcp_info>(full);
        return new MptcpInfo(i.mptcpi_subflows, i.mptcpi_add_addr_signal, i.mptcpi_add_addr_accepted, i.mptcpi_subflows_max,
            i.mptcpi_add_addr_signal_max, i.mptcpi_add_addr_accepted_max, i.mptcpi_flags, i.mptcpi_token,
            i.mptcpi_local_addr_used, i.mptcpi_local_addr_max, i.mptcpi_subflows_total);
    }
}
