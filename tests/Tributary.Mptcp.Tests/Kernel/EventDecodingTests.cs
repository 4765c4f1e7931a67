using System.Globalization;
using System.Net;

namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>Decoding of real kernel events (wire-fixtures.txt): every attribute, byte orders, typed records.</summary>
public class EventDecodingTests
{
    private static readonly Dictionary<string, MptcpEventType> Names = new(StringComparer.Ordinal)
    {
        ["CREATED"] = MptcpEventType.Created,
        ["ESTABLISHED"] = MptcpEventType.Established,
        ["CLOSED"] = MptcpEventType.Closed,
        ["ANNOUNCED"] = MptcpEventType.Announced,
        ["REMOVED"] = MptcpEventType.Removed,
        ["SUB_ESTABLISHED"] = MptcpEventType.SubflowEstablished,
        ["SUB_CLOSED"] = MptcpEventType.SubflowClosed,
        ["SUB_PRIORITY"] = MptcpEventType.SubflowPriority,
    };

    [Fact]
    public void Every_fixture_decodes_to_the_fields_the_reference_client_printed()
    {
        Assert.True(WireFixtures.Events.Count >= 11, "wire-fixtures.txt should hold at least 11 events");
        foreach ((string description, byte[] bytes) in WireFixtures.Events)
        {
            Dictionary<string, string> f = WireFixtures.Fields(description);
            Assert.True(MptcpEventAttributes.TryParse(bytes, out MptcpEventAttributes a), description);
            Assert.Equal(Names[f["event"]], a.Type);
            Assert.Equal(0, a.MalformedAttributes);
            Assert.Equal(MptcpEventAttribute.None, a.MissingRequired);
            Assert.Equal(WireFixtures.ParseToken(f["token"]), a.Token);
            if (f.TryGetValue("saddr4", out string? s))
                Assert.Equal(IPAddress.Parse(s), a.Local.ToIPAddress());
            if (f.TryGetValue("daddr4", out string? d))
                Assert.Equal(IPAddress.Parse(d), a.Remote.ToIPAddress());
            if (f.TryGetValue("sport", out string? sp))
                Assert.Equal(ushort.Parse(sp, CultureInfo.InvariantCulture), a.Local.Port);
            if (f.TryGetValue("dport", out string? dp))
                Assert.Equal(ushort.Parse(dp, CultureInfo.InvariantCulture), a.Remote.Port);
            if (f.TryGetValue("loc_id", out string? li))
                Assert.Equal(byte.Parse(li, CultureInfo.InvariantCulture), a.LocalId);
            if (f.TryGetValue("rem_id", out string? ri))
                Assert.Equal(byte.Parse(ri, CultureInfo.InvariantCulture), a.RemoteId);
            if (f.TryGetValue("backup", out string? b))
                Assert.Equal(b == "1", a.Backup);
            if (f.TryGetValue("family", out string? fam))
                Assert.Equal(ushort.Parse(fam, CultureInfo.InvariantCulture), a.Family);
            Assert.Equal(f.ContainsKey("if_idx"), a.Has(MptcpEventAttribute.InterfaceIndex));
            if (f.TryGetValue("if_idx", out string? ix))
                Assert.Equal(int.Parse(ix, CultureInfo.InvariantCulture), a.InterfaceIndex);
        }
    }

    [Fact]
    public void Created_event_has_exact_attributes_and_big_endian_ports()
    {
        (string _, byte[] bytes) = WireFixtures.Events[0];
        Assert.True(MptcpEventAttributes.TryParse(bytes, out MptcpEventAttributes a));
        Assert.Equal(MptcpEventType.Created, a.Type);
        Assert.Equal(0x770adca8u, a.Token);
        Assert.Equal(new MptcpAddress(IPAddress.Parse("10.11.1.1"), 37542), a.Local);
        Assert.Equal(new MptcpAddress(IPAddress.Parse("10.11.1.2"), 5201), a.Remote);
        Assert.Equal(MptcpEventAttribute.Token | MptcpEventAttribute.Family | MptcpEventAttribute.SourceAddress4
            | MptcpEventAttribute.DestinationAddress4 | MptcpEventAttribute.SourcePort | MptcpEventAttribute.DestinationPort
            | MptcpEventAttribute.LocalId | MptcpEventAttribute.RemoteId, a.Present);
        Assert.False(a.ServerSide);
        var typed = Assert.IsType<MptcpConnectionEvent>(MptcpEvent.From(a));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.11.1.1"), 37542), typed.Local);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.11.1.2"), 5201), typed.Remote);
    }

    [Fact]
    public void Typed_records_match_each_event_kind()
    {
        var kinds = WireFixtures.Events.Select(e =>
        {
            Assert.True(MptcpEventAttributes.TryParse(e.Bytes, out MptcpEventAttributes a));
            return MptcpEvent.From(a);
        }).ToList();
        Assert.Contains(kinds, k => k is MptcpAddressAnnouncedEvent { RemoteId: 1 } an && an.Remote.Port == 5201);
        Assert.Contains(kinds, k => k is MptcpSubflowEvent { Type: MptcpEventType.SubflowClosed, InterfaceIndex: 3, Backup: false });
        Assert.Contains(kinds, k => k is MptcpSubflowEvent { Type: MptcpEventType.SubflowEstablished, InterfaceIndex: null });
        Assert.Contains(kinds, k => k is MptcpConnectionClosedEvent { Token: 0x54703b1f });
    }

    [Fact]
    public void Server_side_comes_from_the_attribute_or_the_flags_bit()
    {
        byte[] created = WireFixtures.Events[0].Bytes;
        byte[] withFlags = [.. created, 6, 0, 13, 0, 2, 0, 0, 0]; // MPTCP_ATTR_FLAGS = SERVER_SIDE (u16 + pad)
        Assert.True(MptcpEventAttributes.TryParse(withFlags, out MptcpEventAttributes a));
        Assert.True(a.ServerSide);
        Assert.False(a.DenyJoinId0);
        byte[] withAttr = [.. created, 5, 0, 18, 0, 1, 0, 0, 0];   // MPTCP_ATTR_SERVER_SIDE = 1
        Assert.True(MptcpEventAttributes.TryParse(withAttr, out a));
        Assert.True(a.ServerSide);
        byte[] deny = [.. created, 6, 0, 13, 0, 1, 0, 0, 0];
        Assert.True(MptcpEventAttributes.TryParse(deny, out a));
        Assert.True(a.DenyJoinId0);
        Assert.False(a.ServerSide);
    }

    [Fact]
    public void Wrong_length_attribute_is_dropped_and_counted_and_the_event_kept()
    {
        // CLOSED with a 2-byte token: mptcpd logs "Attribute length ... is not the expected length" and drops it.
        byte[] bad = [3, 1, 0, 0, 6, 0, 1, 0, 0xaa, 0xbb, 0, 0];
        Assert.True(MptcpEventAttributes.TryParse(bad, out MptcpEventAttributes a));
        Assert.Equal(1, a.MalformedAttributes);
        Assert.False(a.Has(MptcpEventAttribute.Token));
        Assert.Equal(MptcpEventAttribute.Token, a.MissingRequired);
        Assert.IsType<MptcpUnknownEvent>(MptcpEvent.From(a));
    }

    [Fact]
    public void Unknown_attributes_are_skipped_and_unknown_events_kept_as_unknown()
    {
        byte[] msg = [99, 1, 0, 0, 8, 0, 77, 0, 1, 2, 3, 4, 8, 0, 1, 0, 1, 0, 0, 0];
        Assert.True(MptcpEventAttributes.TryParse(msg, out MptcpEventAttributes a));
        Assert.Equal((MptcpEventType)99, a.Type);
        Assert.Equal(1u, a.Token);
        Assert.Equal(0, a.MalformedAttributes);
        Assert.IsType<MptcpUnknownEvent>(MptcpEvent.From(a));
    }

    [Fact]
    public void Truncated_messages_fail_cleanly_or_lose_only_trailing_attributes()
    {
        foreach ((string _, byte[] bytes) in WireFixtures.Events)
        {
            Assert.True(MptcpEventAttributes.TryParse(bytes, out MptcpEventAttributes full));
            for (int n = 0; n < bytes.Length; n++)
            {
                bool ok = MptcpEventAttributes.TryParse(bytes.AsSpan(0, n), out MptcpEventAttributes a);
                if (n < 4)
                    Assert.False(ok);
                else if (ok)
                    Assert.Equal(MptcpEventAttribute.None, a.Present & ~full.Present);
            }
        }
    }

    public static TheoryData<int> FuzzedEventsSeeds() => FuzzSeeds.Of(1234);

    [Theory]
    [MemberData(nameof(FuzzedEventsSeeds))]
    public void Fuzzed_and_mutated_events_never_throw(int seed)
    {
        var rng = new Random(seed);
        byte[][] seeds = WireFixtures.Events.Select(e => e.Bytes).ToArray();
        for (int i = 0; i < 200_000; i++)
        {
            byte[] m;
            if (i % 4 == 0)
            {
                m = new byte[rng.Next(0, 96)];
                rng.NextBytes(m);
            }
            else
            {
                m = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                int flips = rng.Next(1, 6);
                for (int k = 0; k < flips && m.Length > 0; k++)
                    m[rng.Next(m.Length)] = (byte)rng.Next(256);
                if (rng.Next(3) == 0)
                    m = m[..rng.Next(m.Length + 1)];
            }
            if (MptcpEventAttributes.TryParse(m, out MptcpEventAttributes a))
            {
                _ = a.MissingRequired;
                _ = a.ToString();
                _ = MptcpEvent.From(a).ToString();
            }
        }
    }
}
