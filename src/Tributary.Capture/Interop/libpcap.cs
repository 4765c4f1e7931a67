using System.Runtime.InteropServices;

namespace Tributary.Capture.Interop;

// <pcap/pcap.h>, <pcap/bpf.h> (libpcap 1.10, Debian libpcap0.8): only the filter compiler is used;
// capture itself is done by this project (files in C#, live capture on its own TPACKET_V3 ring).
internal static unsafe partial class Libpcap
{
    /// <summary>PCAP_NETMASK_UNKNOWN: "ip broadcast" then fails to compile.</summary>
    public const uint PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF;

    public const int PCAP_ERRBUF_SIZE = 256;

    /// <summary>struct bpf_program.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_program
    {
        public uint bf_len;
        public sock_filter_native* bf_insns;
    }

    /// <summary>struct bpf_insn (same layout as the kernel's struct sock_filter).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct sock_filter_native
    {
        public ushort code;
        public byte jt;
        public byte jf;
        public uint k;
    }

    /// <summary>struct pcap_pkthdr (struct timeval ts; bpf_u_int32 caplen, len).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct pcap_pkthdr
    {
        public long tv_sec;
        public long tv_usec;
        public uint caplen;
        public uint len;
    }

    [LibraryImport(Libraries.Libpcap)]
    public static partial nint pcap_open_dead(int linktype, int snaplen);

    [LibraryImport(Libraries.Libpcap, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int pcap_compile(nint p, bpf_program* program, string expression, int optimize, uint netmask);

    [LibraryImport(Libraries.Libpcap)]
    public static partial void pcap_freecode(bpf_program* program);

    [LibraryImport(Libraries.Libpcap)]
    public static partial nint pcap_geterr(nint p);

    [LibraryImport(Libraries.Libpcap)]
    public static partial void pcap_close(nint p);

    [LibraryImport(Libraries.Libpcap)]
    public static partial int pcap_offline_filter(bpf_program* program, pcap_pkthdr* header, byte* data);

    [LibraryImport(Libraries.Libpcap)]
    public static partial nint pcap_lib_version();

    [LibraryImport(Libraries.Libpcap)]
    public static partial nint pcap_fopen_offline(nint file, byte* errbuf);

    /// <summary>fmemopen(3) (libc): a FILE* over a memory buffer, to hand libpcap a savefile header.</summary>
    [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint fmemopen(void* buffer, nuint size, string mode);
}
