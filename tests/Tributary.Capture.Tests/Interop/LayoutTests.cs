using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Tributary.Capture.Filters;
using Tributary.Capture.Interop;
using Xunit.Abstractions;

namespace Tributary.Capture.Tests.Interop;

/// <summary>
/// Every interop struct's size and field offsets checked against the real C headers (Tmds.LibC
/// approach, STYLE.md): the test writes <c>_Static_assert</c>s from the managed layout and compiles
/// them with gcc against linux/if_packet.h, linux/filter.h, net/if.h and pcap/pcap.h.
/// </summary>
public sealed class LayoutTests(ITestOutputHelper output)
{
    /// <summary>Managed type, C type, and C member paths for fields whose C access differs (unions).</summary>
    private static readonly (Type Type, string C, Dictionary<string, string> Rename)[] Structs =
    [
        (typeof(sockaddr_ll), "struct sockaddr_ll", []),
        (typeof(packet_mreq), "struct packet_mreq", []),
        (typeof(tpacket_req3), "struct tpacket_req3", []),
        (typeof(tpacket_stats_v3), "struct tpacket_stats_v3", []),
        (typeof(tpacket_bd_ts), "struct tpacket_bd_ts", []),
        (typeof(tpacket_hdr_v1), "struct tpacket_hdr_v1", []),
        (typeof(tpacket_block_desc), "struct tpacket_block_desc", new() { ["hdr"] = "hdr.bh1" }),
        (typeof(tpacket_hdr_variant1), "struct tpacket_hdr_variant1", []),
        (typeof(tpacket3_hdr), "struct tpacket3_hdr", []),
        (typeof(sock_filter), "struct sock_filter", []),
        (typeof(sock_fprog), "struct sock_fprog", []),
        (typeof(BpfInstruction), "struct sock_filter", new() { ["<Code>k__BackingField"] = "code", ["<JumpTrue>k__BackingField"] = "jt",
            ["<JumpFalse>k__BackingField"] = "jf", ["<K>k__BackingField"] = "k" }),
        (typeof(Libc.pollfd), "struct pollfd", []),
        (typeof(Libc.ifreq_hwaddr), "struct ifreq", new() { ["ifr_name"] = "ifr_name", ["sa_family"] = "ifr_hwaddr.sa_family", ["sa_data"] = "ifr_hwaddr.sa_data" }),
        (typeof(Libpcap.bpf_program), "struct bpf_program", []),
        (typeof(Libpcap.sock_filter_native), "struct bpf_insn", []),
        (typeof(Libpcap.pcap_pkthdr), "struct pcap_pkthdr", new() { ["tv_sec"] = "ts.tv_sec", ["tv_usec"] = "ts.tv_usec" }),
    ];

    [ToolFact("gcc")]
    public void Interop_structs_match_the_C_headers()
    {
        var c = new StringBuilder("""
            #include <stddef.h>
            #include <poll.h>
            #include <net/if.h>
            #include <sys/ioctl.h>
            #include <sys/socket.h>
            #include <linux/if_packet.h>
            #include <linux/filter.h>
            #include <pcap/pcap.h>

            """);
        int asserts = 0;
        foreach (var (type, cType, rename) in Structs)
        {
            c.AppendLine($"_Static_assert(sizeof({cType}) == {Marshal.SizeOf(type)}, \"sizeof {cType} ({type.Name})\");");
            asserts++;
            foreach (FieldInfo f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                string member = rename.TryGetValue(f.Name, out string? renamed) ? renamed : f.Name;
                int offset = (int)Marshal.OffsetOf(type, f.Name);
                c.AppendLine($"_Static_assert(offsetof({cType}, {member}) == {offset}, \"offsetof {cType}.{member}\");");
                asserts++;
            }
        }
        // Constants the code relies on.
        foreach (var (name, value) in new (string, long)[]
        {
            ("SOL_PACKET", IfPacket.SOL_PACKET), ("PACKET_RX_RING", IfPacket.PACKET_RX_RING), ("PACKET_VERSION", IfPacket.PACKET_VERSION),
            ("PACKET_STATISTICS", IfPacket.PACKET_STATISTICS), ("PACKET_RESERVE", IfPacket.PACKET_RESERVE),
            ("PACKET_ADD_MEMBERSHIP", IfPacket.PACKET_ADD_MEMBERSHIP), ("PACKET_MR_PROMISC", IfPacket.PACKET_MR_PROMISC),
            ("PACKET_IGNORE_OUTGOING", IfPacket.PACKET_IGNORE_OUTGOING), ("PACKET_QDISC_BYPASS", IfPacket.PACKET_QDISC_BYPASS),
            ("TPACKET_V3", IfPacket.TPACKET_V3), ("TP_STATUS_USER", IfPacket.TP_STATUS_USER), ("TP_STATUS_VLAN_VALID", IfPacket.TP_STATUS_VLAN_VALID),
            ("TP_STATUS_VLAN_TPID_VALID", IfPacket.TP_STATUS_VLAN_TPID_VALID), ("SO_ATTACH_FILTER", Filter.SO_ATTACH_FILTER),
            ("SO_DETACH_FILTER", Filter.SO_DETACH_FILTER), ("PACKET_FANOUT", IfPacket.PACKET_FANOUT), ("PACKET_FANOUT_HASH", IfPacket.PACKET_FANOUT_HASH),
            ("PACKET_FANOUT_FLAG_UNIQUEID", IfPacket.PACKET_FANOUT_FLAG_UNIQUEID),
            ("AF_PACKET", Libc.AF_PACKET), ("SOCK_RAW", Libc.SOCK_RAW), ("SIOCGIFHWADDR", Libc.SIOCGIFHWADDR), ("POLLIN", Libc.POLLIN),
        })
        {
            c.AppendLine($"_Static_assert({name} == {value}, \"{name}\");");
            asserts++;
        }
        ProcessResult r = ProcessRunner.Run("gcc", ["-fsyntax-only", "-x", "c", "-D_GNU_SOURCE", "-"], c.ToString());
        output.WriteLine($"{asserts} assertions");
        Assert.True(r.ExitCode == 0, r.StandardError + "\n" + c);
        Assert.True(asserts > 80);
    }
}
