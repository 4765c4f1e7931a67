namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>Interop structs against the kernel header they mirror (reference/kernel/mptcp.h, newer than Debian's), compiled with gcc.</summary>
public class InteropLayoutTests
{
    [ToolFact("gcc")]
    public void Mptcp_info_matches_the_kernel_header()
    {
        // The vendored headers include each other as <linux/...>: lay them out that way, ahead of Debian's 6.1 ones.
        string dir = Path.Combine(Path.GetTempPath(), "trib-mptcp-headers-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "linux"));
        try
        {
            foreach (string h in new[] { "mptcp.h", "mptcp_pm.h" })
                File.Copy(SharedPaths.RequireShared("reference", "kernel", h), Path.Combine(dir, "linux", h));
            CStructLayout.AssertMatchesC(["linux/mptcp.h"], [typeof(Interop.mptcp_info)], dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Mptcp_info_parses_a_short_older_struct_and_ignores_newer_fields()
    {
        byte[] info = new byte[200];
        info[0] = 1;   // mptcpi_subflows
        info[3] = 6;   // mptcpi_subflows_max
        info[80] = 2;  // mptcpi_subflows_total
        Assert.Equal(2, MptcpInfo.Parse(info).SubflowsTotal);
        MptcpInfo shortInfo = MptcpInfo.Parse(info.AsSpan(0, 40));
        Assert.Equal(1, shortInfo.Subflows);
        Assert.Equal(6, shortInfo.SubflowsMax);
        Assert.Equal(0, shortInfo.SubflowsTotal);
    }
}
