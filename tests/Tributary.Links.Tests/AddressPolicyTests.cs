using System.Net;
using Tributary.Links;
using Tributary.Links.Internal;
using Tributary.Netlink;

namespace Tributary.Links.Tests;

/// <summary>
/// The address-selection policy as a pure rule (<see cref="AddressPolicy"/>), its prefix boundaries,
/// and the decoding of the flags it reads (IFA_FLAGS wins over the 8-bit ifa_flags).
/// </summary>
public class AddressPolicyTests
{
    private const byte Universe = 0;
    private const byte Link = 253;
    private const byte Host = 254;

    private static bool Passes(NotifyFlags policy, string address, byte scope = Universe, AddressFlags flags = AddressFlags.None) =>
        AddressPolicy.Passes(policy, AddressKey.From(IPAddress.Parse(address)), scope, flags);

    [Theory]
    [InlineData("169.254.0.1", Universe, false)]
    [InlineData("169.254.255.255", Universe, false)]
    [InlineData("169.253.255.255", Universe, true)]
    [InlineData("169.255.0.0", Universe, true)]
    [InlineData("10.0.0.1", Link, false)]
    [InlineData("10.0.0.1", Universe, true)]
    [InlineData("fe80::1", Link, false)]
    [InlineData("febf:ffff::1", Universe, false)] // fe80::/10 by address too
    [InlineData("fec0::1", Universe, true)]
    [InlineData("2001:db8::1", Universe, true)]
    public void SkipLinkLocal_covers_link_scope_and_the_link_local_prefixes(string address, byte scope, bool passes)
    {
        Assert.Equal(passes, Passes(NotifyFlags.SkipLinkLocal, address, scope));
        Assert.True(Passes(NotifyFlags.None, address, scope));
    }

    [Theory]
    [InlineData("fc00::", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false)]
    [InlineData("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("fe00::", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("252.0.0.1", true)] // 0xFC first byte, but IPv4
    public void SkipUla_is_fc00_slash_7_on_IPv6_only(string address, bool passes)
    {
        Assert.Equal(passes, Passes(NotifyFlags.SkipUla, address));
        Assert.True(Passes(NotifyFlags.SkipLinkLocal | NotifyFlags.SkipTemporary, address));
    }

    [Fact]
    public void SkipTemporary_reads_the_bit_as_temporary_on_IPv6_only()
    {
        Assert.False(Passes(NotifyFlags.SkipTemporary, "2001:db8::1", flags: AddressFlags.Temporary));
        Assert.True(Passes(NotifyFlags.SkipTemporary, "2001:db8::1", flags: AddressFlags.ManageTemporaryAddress));
        // On IPv4 the bit is IFA_F_SECONDARY: a second address in a subnet is not a privacy address.
        Assert.True(Passes(NotifyFlags.SkipTemporary, "10.0.0.2", flags: AddressFlags.Temporary));
        Assert.True(Passes(NotifyFlags.None, "2001:db8::1", flags: AddressFlags.Temporary));
    }

    [Theory]
    [InlineData(AddressFlags.Tentative, false)]
    [InlineData(AddressFlags.Tentative | AddressFlags.DadFailed, false)]
    [InlineData(AddressFlags.DadFailed, false)]
    [InlineData(AddressFlags.Tentative | AddressFlags.Optimistic, true)] // RFC 4429: usable during DAD
    [InlineData(AddressFlags.Permanent | AddressFlags.NoDad, true)]
    [InlineData(AddressFlags.Deprecated, true)]
    public void SkipTentative_skips_addresses_that_cannot_be_bound(AddressFlags flags, bool passes)
    {
        Assert.Equal(passes, Passes(NotifyFlags.SkipTentative, "2001:db8::1", flags: flags));
        Assert.True(Passes(NotifyFlags.SkipDeprecated | NotifyFlags.SkipTemporary, "2001:db8::1", flags: flags & ~AddressFlags.Deprecated));
    }

    [Theory]
    [InlineData("2001:db8::1")]
    [InlineData("10.0.0.1")]
    public void SkipDeprecated_applies_to_both_families(string address)
    {
        Assert.False(Passes(NotifyFlags.SkipDeprecated, address, flags: AddressFlags.Deprecated | AddressFlags.Permanent));
        Assert.True(Passes(NotifyFlags.SkipDeprecated, address, flags: AddressFlags.Permanent));
        Assert.True(Passes(NotifyFlags.SkipTentative, address, flags: AddressFlags.Deprecated));
    }

    [Fact]
    public void SkipLoopback_is_host_scope()
    {
        Assert.False(Passes(NotifyFlags.SkipLoopback, "10.9.9.9", Host));
        Assert.True(Passes(NotifyFlags.SkipLoopback, "10.9.9.9", Universe));
    }

    /// <summary>An RTM_NEWADDR for 2001:db8::1 on ifindex 4242 with the given ifa_flags and, optionally, IFA_FLAGS after the address (the kernel's order).</summary>
    private static byte[] NewAddr(byte ifaFlags, uint? attribute)
    {
        var buffer = new byte[128];
        var w = new NetlinkMessageWriter(buffer);
        w.BeginMessage(20 /* RTM_NEWADDR */, NetlinkMessageFlags.None);
        w.WriteHeader(new Interop.ifaddrmsg { ifa_family = 10, ifa_prefixlen = 64, ifa_flags = ifaFlags, ifa_scope = 0, ifa_index = 4242 });
        w.PutBytes(1 /* IFA_ADDRESS */, IPAddress.Parse("2001:db8::1").GetAddressBytes());
        if (attribute is { } a)
            w.PutU32(8 /* IFA_FLAGS */, a);
        return w.Finish().ToArray();
    }

    [Theory]
    [InlineData(0x20, null, AddressFlags.Deprecated)]
    [InlineData(0x00, 0x20u, AddressFlags.Deprecated)]
    [InlineData(0x80, 0x880u, AddressFlags.Permanent | AddressFlags.StablePrivacy)]
    [InlineData(0x20, 0x80u, AddressFlags.Permanent)] // IFA_FLAGS, when present, is the whole truth
    public void Flags_come_from_IFA_FLAGS_when_present_else_from_ifa_flags(byte ifaFlags, uint? attribute, AddressFlags expected)
    {
        var reader = new NetlinkMessageReader(NewAddr(ifaFlags, attribute));
        Assert.True(reader.MoveNext());
        Assert.True(RtnetlinkMessages.TryParseAddress(reader.Current, out AddressMessage m));
        Assert.Equal(expected, m.Flags);
    }

    [Fact]
    public void A_known_address_whose_IFA_FLAGS_turn_deprecated_is_deleted_and_renewed_is_new()
    {
        using NetworkMonitor m = NetworkMonitor.Create(NotifyFlags.SkipDeprecated);
        var ops = new RecordingOps();
        m.RegisterOps(ops);
        m.InjectDatagram(File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "kernel-events.hex"))
            .Where(l => l.StartsWith("newlink_up ", StringComparison.Ordinal))
            .Select(l => Convert.FromHexString(l.Split(' ')[1])).Single());
        m.InjectDatagram(NewAddr(0x80, 0x80));
        m.InjectDatagram(NewAddr(0x80, 0x80));          // repeated: nothing
        m.InjectDatagram(NewAddr(0x00, 0xA0));          // deprecated (only IFA_FLAGS says so)
        m.InjectDatagram(NewAddr(0x00, 0xA0));          // still deprecated: nothing
        m.InjectDatagram(NewAddr(0x80, 0x80));          // renewed
        Assert.Equal(["new_interface br42", "new_address br42 2001:db8::1", "delete_address br42 2001:db8::1", "new_address br42 2001:db8::1"], ops.Lines);
        Assert.Equal(AddressFlags.Deprecated | AddressFlags.Permanent, ops.FlagsOf("delete_address br42 2001:db8::1"));
    }
}
