using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Mptcp.Internal;

namespace Tributary.Mptcp.Tests.Plugins;

/// <summary>
/// addr_adv's reconciliation (DESIGN.md "Paths") against a model of the kernel table: first eight
/// eligible addresses in order of appearance, promotion, link removal, no duplicate ADD_ADDR, drift
/// repair, administrator limits as a floor, cleanup on exit.
/// </summary>
public class EndpointReconcilerTests
{
    private static IPAddress A(int i) => IPAddress.Parse($"10.20.{i / 250}.{(i % 250) + 1}");

    private static (EndpointReconciler R, FakeEndpointTable T, MptcpIdManager Ids) New(MptcpEndpointFlags flags = MptcpEndpointFlags.Subflow,
        FakeEndpointTable? table = null, Dictionary<MptcpAddress, int>? present = null)
    {
        var t = table ?? new FakeEndpointTable();
        var ids = new MptcpIdManager();
        var r = new EndpointReconciler(t, ids, flags, NullLogger.Instance);
        r.Start(present ?? [], startWorker: false);
        return (r, t, ids);
    }

    private static string Table(FakeEndpointTable t) => string.Join(" | ", t.Dump().Select(e => e.ToString()));

    [Fact]
    public void First_eight_in_order_of_appearance_then_promotion_with_the_lowest_free_id()
    {
        var (r, t, _) = New();
        for (int i = 0; i < 10; i++)
            r.AddressAppeared(2 + (i % 2), A(i));
        Assert.True(r.ReconcileOnce());
        Assert.Equal(Enumerable.Range(0, 8).Select(A), t.Dump().Select(e => e.Address));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (byte)i), t.Dump().Select(e => e.Id));
        Assert.All(t.Dump(), e => Assert.Equal(MptcpEndpointFlags.Subflow, e.Flags));
        Assert.Equal(2, t.Endpoints[1].InterfaceIndex);
        Assert.Equal(3, t.Endpoints[2].InterfaceIndex);
        Assert.Equal(new MptcpLimits(8, 8), t.Limits);

        r.AddressRemoved(A(2));
        Assert.True(r.ReconcileOnce());
        Assert.Equal([A(0), A(1), A(8), A(3), A(4), A(5), A(6), A(7)], t.Dump().Select(e => e.Address)); // A(8) promoted, took id 3
        Assert.Equal(A(8), t.Endpoints[3].Address);
        Assert.Equal([A(0), A(1), A(3), A(4), A(5), A(6), A(7), A(8), A(9)], r.Eligible);
    }

    [Fact]
    public void Interface_removal_drops_its_addresses_and_promotes_waiting_ones()
    {
        var (r, t, _) = New();
        for (int i = 0; i < 12; i++)
            r.AddressAppeared(i < 4 ? 7 : 8, A(i));
        Assert.True(r.ReconcileOnce());
        r.InterfaceRemoved(7);
        Assert.True(r.ReconcileOnce());
        Assert.Equal(Enumerable.Range(4, 8).Select(A).ToHashSet(), t.Dump().Select(e => e.Address).ToHashSet());
        // The interface comes back (the monitor reports its addresses again): they queue behind the others.
        for (int i = 0; i < 4; i++)
            r.AddressAppeared(7, A(i));
        Assert.True(r.ReconcileOnce());
        Assert.Equal(Enumerable.Range(4, 8).Select(A).ToHashSet(), t.Dump().Select(e => e.Address).ToHashSet());
        Assert.Equal(12, r.Eligible.Count);
    }

    [Fact]
    public void Repeated_reports_never_send_a_duplicate_add()
    {
        var (r, t, _) = New(MptcpEndpointFlags.None);
        r.AddressAppeared(2, A(0));
        r.AddressAppeared(2, A(0));
        Assert.True(r.ReconcileOnce());
        r.AddressAppeared(2, A(0));
        Assert.True(r.ReconcileOnce());
        Assert.True(r.ReconcileOnce());
        Assert.Equal(1, t.Adds);
        Assert.Equal(0, r.Failures);
        // The address moves to another interface: the endpoint follows (same id).
        r.AddressAppeared(3, A(0));
        Assert.True(r.ReconcileOnce());
        Assert.Equal("10.20.0.1 id 1 ifindex 3", Table(t));
    }

    [Fact]
    public void Drift_in_the_kernel_table_is_repaired_when_noticed()
    {
        var (r, t, _) = New();
        r.AddressAppeared(2, A(0));
        r.AddressAppeared(2, A(1));
        Assert.True(r.ReconcileOnce());
        t.Endpoints.Clear();                                                            // an administrator flushed the table
        t.Endpoints[9] = new MptcpEndpoint(9, IPAddress.Parse("192.0.2.9"));            // and left a stale endpoint
        t.Endpoints[4] = new MptcpEndpoint(4, A(1), MptcpEndpointFlags.Signal, 2);      // and re-added one with other flags
        r.Poke(kernelChanged: true);
        Assert.True(r.ReconcileOnce());
        Assert.Equal("10.20.0.1 id 1 subflow ifindex 2 | 10.20.0.2 id 4 subflow ifindex 2", Table(t));
    }

    [Fact]
    public void A_refusal_makes_it_reread_the_table_instead_of_repeating_the_request()
    {
        var (r, t, _) = New();
        r.AddressAppeared(2, A(0));
        t.Endpoints[1] = new MptcpEndpoint(1, A(5)); // someone took id 1 behind our back
        Assert.False(r.ReconcileOnce());              // EBUSY: logged, table marked stale
        Assert.True(r.ReconcileOnce());               // re-read: the stray endpoint goes, ours gets id 1
        Assert.Equal("10.20.0.1 id 1 subflow ifindex 2", Table(t));
        Assert.Equal(1, r.Failures);
    }

    [Fact]
    public void Administrator_limits_are_a_floor_and_outside_changes_become_the_new_floor()
    {
        var table = new FakeEndpointTable { Limits = new MptcpLimits(5, 5) };
        var (r, t, _) = New(MptcpEndpointFlags.None, table);
        Assert.True(r.ReconcileOnce());
        Assert.Equal(new MptcpLimits(5, 5), t.Limits); // mptcpd 0.12 set 2/0 here (s12)
        Assert.Equal(0, t.LimitChanges);
        for (int i = 0; i < 6; i++)
            r.AddressAppeared(2, A(i));
        Assert.True(r.ReconcileOnce());
        Assert.Equal(new MptcpLimits(8, 5), t.Limits);
        t.Limits = new MptcpLimits(7, 7);
        r.AddressRemoved(A(0));
        r.AddressRemoved(A(1));
        r.AddressRemoved(A(2));
        Assert.True(r.ReconcileOnce());
        Assert.Equal(new MptcpLimits(7, 7), t.Limits);
        r.Stop(removeEndpoints: true);
        Assert.Empty(t.Endpoints);
        Assert.Equal(new MptcpLimits(7, 7), t.Limits);
    }

    [Fact]
    public void Start_adopts_endpoints_of_present_addresses_and_removes_stale_ones()
    {
        var table = new FakeEndpointTable();
        table.Endpoints[5] = new MptcpEndpoint(5, A(0), MptcpEndpointFlags.Subflow, 2);
        table.Endpoints[6] = new MptcpEndpoint(6, A(1), MptcpEndpointFlags.Subflow, 2);
        table.Endpoints[7] = new MptcpEndpoint(7, A(2), MptcpEndpointFlags.Implicit, 0);
        var present = new Dictionary<MptcpAddress, int> { [new MptcpAddress(A(0))] = 2 };
        var (r, t, ids) = New(MptcpEndpointFlags.Subflow, table, present);
        r.AddressAppeared(3, A(3));
        Assert.True(r.ReconcileOnce());
        Assert.Equal("10.20.0.4 id 1 subflow ifindex 3 | 10.20.0.1 id 5 subflow ifindex 2 | 10.20.0.3 id 7 implicit", Table(t));
        Assert.Equal(1, t.Removes);
        Assert.Equal(1, t.Adds);
        Assert.Equal(5, ids.FindId(A(0)));
        Assert.Equal(0, ids.FindId(A(1)));
        r.Stop(removeEndpoints: true);
        Assert.Equal("10.20.0.1 id 5 subflow ifindex 2 | 10.20.0.3 id 7 implicit", Table(t)); // only what it added goes
    }

    public static TheoryData<int> RandomChangesSeeds() => FuzzSeeds.Of(11);

    [Theory]
    [MemberData(nameof(RandomChangesSeeds))]
    public void Ten_thousand_random_changes_end_with_the_table_equal_to_the_desired_set(int seed)
    {
        var (r, t, _) = New();
        var rng = new Random(seed);
        var present = new List<IPAddress>();
        for (int i = 0; i < 10_000; i++)
        {
            IPAddress a = A(rng.Next(40));
            if (present.Contains(a))
            {
                present.Remove(a);
                r.AddressRemoved(a);
            }
            else
            {
                present.Add(a);
                r.AddressAppeared(2, a);
            }
            if (rng.Next(50) == 0)
                Assert.True(r.ReconcileOnce());
        }
        Assert.True(r.ReconcileOnce());
        Assert.Equal(present.Take(8).ToHashSet(), t.Dump().Select(e => e.Address).ToHashSet());
        Assert.Equal(present, r.Eligible);
        Assert.Equal(0, r.Failures);
    }
}
