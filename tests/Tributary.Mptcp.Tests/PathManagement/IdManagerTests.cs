using System.Net;

namespace Tributary.Mptcp.Tests.PathManagement;

/// <summary>mptcpd's test-id-manager re-expressed (peer-tests.md), plus the fixes: no leaked id on remap, no shared id.</summary>
public class IdManagerTests
{
    private static readonly MptcpAddress Laddr1 = new(IPAddress.Parse("192.0.2.1"), 0x1234);
    private static readonly MptcpAddress Laddr2 = new(IPAddress.Parse("192.0.2.2"), 0x3456);
    private static readonly MptcpAddress Laddr4 = new(IPAddress.Parse("2001:db8::4"), 0x5678);
    private static readonly MptcpAddress Raddr1 = new(IPAddress.Parse("198.51.100.1"), 0x1234);

    [Fact]
    public void Map_get_and_remove_as_test_id_manager()
    {
        var idm = new MptcpIdManager();
        Assert.True(idm.MapId(Laddr4, 245));
        Assert.True(idm.MapId(Laddr4, 222));
        Assert.False(idm.MapId(Laddr4, 0));
        byte id1 = idm.GetId(Laddr1);
        Assert.NotEqual(0, id1);
        Assert.Equal(id1, idm.GetId(Laddr1.WithPort(0x9999)));
        byte id2 = idm.GetId(Laddr2);
        Assert.NotEqual(0, id2);
        Assert.NotEqual(id1, id2);
        byte id3 = idm.GetId(Raddr1);
        Assert.NotEqual(0, id3);
        Assert.DoesNotContain(id3, new[] { id1, id2 });
        Assert.Equal(222, idm.GetId(Laddr4));
        Assert.Equal(id2, idm.RemoveId(Laddr2));
        Assert.Equal(0, idm.RemoveId(Laddr2));
    }

    [Fact]
    public void Lowest_free_id_is_allocated_and_a_remap_frees_the_old_id()
    {
        var idm = new MptcpIdManager();
        Assert.True(idm.MapId(Laddr4, 1));
        Assert.True(idm.MapId(Laddr4, 3));
        Assert.Equal(1, idm.GetId(Laddr1)); // id 1 was released by the remap (mptcpd leaked it)
        Assert.Equal(2, idm.GetId(Laddr2));
        Assert.False(idm.MapId(Raddr1, 3)); // held by another address
        Assert.Equal(4, idm.GetId(Raddr1));
        Assert.Equal(Laddr4.WithPort(0).ToIPAddress(), idm.FindAddress(3));
        Assert.Equal(0, idm.FindId(IPAddress.Parse("192.0.2.99")));
        Assert.Equal(4, idm.Count);
    }

    [Fact]
    public void The_id_space_runs_out_at_255()
    {
        var idm = new MptcpIdManager();
        for (int i = 0; i < 255; i++)
            Assert.Equal(i + 1, idm.GetId(IPAddress.Parse($"10.0.{i / 200}.{(i % 200) + 1}")));
        Assert.Equal(0, idm.GetId(IPAddress.Parse("10.9.9.9")));
        Assert.Equal(7, idm.RemoveId(IPAddress.Parse("10.0.0.7")));
        Assert.Equal(7, idm.GetId(IPAddress.Parse("10.9.9.9")));
    }
}
