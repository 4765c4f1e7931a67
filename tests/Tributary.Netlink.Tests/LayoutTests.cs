using Tributary.Netlink.Interop;

namespace Tributary.Netlink.Tests;

public class LayoutTests
{
    [ToolFact("gcc")]
    public void Interop_structs_match_the_kernel_headers() =>
        CStructLayout.AssertMatchesC(
            ["linux/netlink.h", "linux/genetlink.h", "poll.h"],
            [typeof(nlmsghdr), typeof(sockaddr_nl), typeof(nlmsgerr), typeof(nlattr), typeof(genlmsghdr), typeof(Libc.pollfd)]);
}
