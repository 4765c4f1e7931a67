using Tributary.Links.Interop;

namespace Tributary.Links.Tests;

public class LayoutTests
{
    [ToolFact("gcc")]
    public void Interop_structs_match_the_kernel_headers() =>
        CStructLayout.AssertMatchesC(
            ["linux/rtnetlink.h", "linux/if_addr.h"],
            [typeof(ifinfomsg), typeof(ifaddrmsg), typeof(rtmsg)]);

    [ToolFact("gcc")]
    public void Constants_match_the_kernel_headers()
    {
        var c = new System.Text.StringBuilder("#include <linux/rtnetlink.h>\n#include <linux/if_addr.h>\n#include <linux/if_link.h>\n#include <net/if.h>\n#include <linux/if_arp.h>\n");
        void Check(string name, long value) => c.AppendLine($"_Static_assert({name} == {value}, \"{name} is not {value}\");");
        Check("RTM_NEWLINK", Rtnetlink.RTM_NEWLINK);
        Check("RTM_DELLINK", Rtnetlink.RTM_DELLINK);
        Check("RTM_GETLINK", Rtnetlink.RTM_GETLINK);
        Check("RTM_NEWADDR", Rtnetlink.RTM_NEWADDR);
        Check("RTM_DELADDR", Rtnetlink.RTM_DELADDR);
        Check("RTM_GETADDR", Rtnetlink.RTM_GETADDR);
        Check("RTM_GETROUTE", Rtnetlink.RTM_GETROUTE);
        Check("RTNLGRP_LINK", Rtnetlink.RTNLGRP_LINK);
        Check("RTNLGRP_IPV4_IFADDR", Rtnetlink.RTNLGRP_IPV4_IFADDR);
        Check("RTNLGRP_IPV6_IFADDR", Rtnetlink.RTNLGRP_IPV6_IFADDR);
        Check("RTA_DST", Rtnetlink.RTA_DST);
        Check("RTA_OIF", Rtnetlink.RTA_OIF);
        Check("RTM_F_LOOKUP_TABLE", Rtnetlink.RTM_F_LOOKUP_TABLE);
        Check("RTM_F_FIB_MATCH", Rtnetlink.RTM_F_FIB_MATCH);
        Check("RT_SCOPE_LINK", Rtnetlink.RT_SCOPE_LINK);
        Check("RT_SCOPE_HOST", Rtnetlink.RT_SCOPE_HOST);
        Check("RTEXT_FILTER_SKIP_STATS", Rtnetlink.RTEXT_FILTER_SKIP_STATS);
        Check("IFLA_IFNAME", IfLink.IFLA_IFNAME);
        Check("IFLA_EXT_MASK", IfLink.IFLA_EXT_MASK);
        Check("IFA_ADDRESS", IfAddr.IFA_ADDRESS);
        Check("IFA_LOCAL", IfAddr.IFA_LOCAL);
        Check("ARPHRD_ETHER", IfArp.ARPHRD_ETHER);
        Check("ARPHRD_LOOPBACK", IfArp.ARPHRD_LOOPBACK);
        foreach (Tributary.Links.InterfaceFlags f in Enum.GetValues<Tributary.Links.InterfaceFlags>())
        {
            string? name = f switch
            {
                Tributary.Links.InterfaceFlags.Up => "IFF_UP",
                Tributary.Links.InterfaceFlags.Broadcast => "IFF_BROADCAST",
                Tributary.Links.InterfaceFlags.Loopback => "IFF_LOOPBACK",
                Tributary.Links.InterfaceFlags.PointToPoint => "IFF_POINTOPOINT",
                Tributary.Links.InterfaceFlags.Running => "IFF_RUNNING",
                Tributary.Links.InterfaceFlags.NoArp => "IFF_NOARP",
                Tributary.Links.InterfaceFlags.Promiscuous => "IFF_PROMISC",
                Tributary.Links.InterfaceFlags.Multicast => "IFF_MULTICAST",
                Tributary.Links.InterfaceFlags.Dynamic => "IFF_DYNAMIC",
                _ => null,
            };
            if (name is not null)
                Check(name, (uint)f);
        }
        ProcessResult r = ProcessRunner.Run("gcc", ["-fsyntax-only", "-x", "c", "-"], c.ToString());
        Assert.True(r.ExitCode == 0, r.StandardError);
    }
}
