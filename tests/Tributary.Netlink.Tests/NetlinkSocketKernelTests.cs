using System.Buffers.Binary;
using System.Text;
using Tributary.Netlink;

namespace Tributary.Netlink.Tests;

/// <summary>The socket against the real kernel, each test in a fresh network namespace.</summary>
public class NetlinkSocketKernelTests
{
    private const ushort RTM_NEWLINK = 16;
    private const ushort RTM_GETLINK = 18;
    private const ushort RTM_GETADDR = 22;
    private const ushort IFLA_IFNAME = 3;
    private const ushort IFLA_LINKINFO = 18;
    private const ushort IFLA_INFO_KIND = 1;

    private static List<string> DumpLinkNames(NetlinkSocket s)
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(RTM_GETLINK, NetlinkMessageFlags.None);
        w.Reserve(16); // ifinfomsg, AF_UNSPEC
        var names = new List<string>();
        s.Dump(w.Finish(), (in NetlinkMessage m) =>
        {
            Assert.Equal(RTM_NEWLINK, m.Type);
            foreach (NetlinkAttribute a in m.Attributes(16))
            {
                if (a.Type == IFLA_IFNAME)
                    names.Add(a.GetString());
            }
        });
        return names;
    }

    [KernelFact]
    public void Dump_reads_every_part_and_a_namespaced_socket_sees_only_its_namespace()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        // Enough links that the dump spans several datagrams.
        ns.IpBatch(Enumerable.Range(0, 300).Select(i => $"link add name b{i} type bridge"));
        using var s = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        Assert.Equal(ns.Name, s.NetworkNamespace);
        Assert.NotEqual(0u, s.PortId);
        List<string> names = DumpLinkNames(s);
        Assert.Equal(301, names.Count);
        Assert.Contains("lo", names);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"b{i}").Order(), names.Where(n => n != "lo").Order());
        // The same socket again: sequence numbers move on, nothing left over from the first dump.
        Assert.Equal(301, DumpLinkNames(s).Count);
        Assert.Equal(0, s.UnsolicitedMessages);
    }

    [KernelFact]
    public void A_refused_request_raises_errno_and_the_kernels_extended_ack_text()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        using var s = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        Span<byte> buf = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Create | NetlinkMessageFlags.Exclusive);
        w.Reserve(16);
        w.PutString(IFLA_IFNAME, "x0");
        int li = w.BeginNested(IFLA_LINKINFO);
        w.PutString(IFLA_INFO_KIND, "no-such-kind");
        w.EndNested(li);
        byte[] req = w.Finish().ToArray();
        var ex = Assert.Throws<NetlinkException>(() => s.Execute(req, null, "create link"));
        Assert.Equal(95, ex.Errno);
        Assert.Equal("Unknown device type", ex.ExtendedAckMessage);
        Assert.StartsWith("create link: Unknown device type: ", ex.Message, StringComparison.Ordinal);

        // A request that succeeds is acknowledged: create a bridge, then see it in a dump.
        w = new NetlinkMessageWriter(buf);
        w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Create | NetlinkMessageFlags.Exclusive);
        w.Reserve(16);
        w.PutString(IFLA_IFNAME, "x0");
        li = w.BeginNested(IFLA_LINKINFO);
        w.PutString(IFLA_INFO_KIND, "bridge");
        w.EndNested(li);
        s.Execute(w.Finish());
        Assert.Contains("x0", DumpLinkNames(s));
    }

    [KernelFact]
    public void Datagrams_not_sent_by_the_kernel_are_dropped()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        using var victim = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        using var attacker = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        victim.JoinGroup(1); // RTNLGRP_LINK
        // A forged RTM_NEWLINK unicast from another process's socket to the victim's port id.
        byte[] forged = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(forged, 32);
        BinaryPrimitives.WriteUInt16LittleEndian(forged.AsSpan(4), RTM_NEWLINK);
        SendTo(attacker, victim.PortId, forged);
        ns.Ip("link", "add", "real0", "type", "bridge");
        byte[] rx = new byte[65536];
        Assert.True(victim.TryReceive(rx, out NetlinkReceiveResult r, 5000));
        Assert.True(r.FromKernel);
        var reader = new NetlinkMessageReader(rx.AsSpan(0, r.Length));
        Assert.True(reader.MoveNext());
        Assert.Contains("real0", Encoding.ASCII.GetString(reader.Current.Payload));
        Assert.Equal(1, victim.RejectedDatagrams);
    }

    private static unsafe void SendTo(NetlinkSocket from, uint portId, byte[] data)
    {
        var addr = new Interop.sockaddr_nl { nl_family = 16, nl_pid = portId };
        fixed (byte* p = data)
            Assert.True(Interop.Libc.sendto(from.FileDescriptor, p, (nuint)data.Length, 0, &addr, 12) == data.Length);
    }

    [KernelFact]
    public void Overflow_raises_NetlinkOverrunException_and_the_socket_keeps_working()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        using var s = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        s.SetReceiveBufferSize(4096);
        s.JoinGroup(1);
        ns.IpBatch(Enumerable.Range(0, 200).Select(i => $"link add name o{i} type bridge"));
        byte[] rx = new byte[65536];
        bool overrun = false;
        try
        {
            while (s.TryReceive(rx, out _, 200))
            {
            }
        }
        catch (NetlinkOverrunException ex)
        {
            overrun = true;
            Assert.Equal(105, ex.Errno);
        }
        Assert.True(overrun, "200 link events into a 4 KiB buffer must overflow");
        while (s.TryReceiveNow(rx, out _))
        {
        }
        ns.Ip("link", "add", "after", "type", "bridge");
        Assert.True(s.TryReceive(rx, out NetlinkReceiveResult r, 5000));
        Assert.Contains("after", Encoding.ASCII.GetString(rx, 0, r.Length));
    }

    [KernelFact]
    public void Generic_netlink_families_resolve_with_their_groups()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        using var s = NetlinkSocket.Create(NetlinkProtocol.Generic, ns.Name);
        GenericNetlinkFamily ctrl = GenericNetlinkFamily.Resolve(s, "nlctrl");
        Assert.Equal(GenericNetlinkFamily.ControllerId, ctrl.Id);
        Assert.True(ctrl.MulticastGroups.ContainsKey("notify"));

        GenericNetlinkFamily pm = GenericNetlinkFamily.Resolve(s, "mptcp_pm");
        Assert.Equal("mptcp_pm", pm.Name);
        Assert.Equal(1u, pm.Version);
        Assert.True(pm.Id >= 0x10);
        Assert.NotEqual(pm.GetGroup("mptcp_pm_cmds"), pm.GetGroup("mptcp_pm_events"));
        Assert.True(pm.SupportsCommand(1)); // MPTCP_PM_CMD_ADD_ADDR

        var ex = Assert.Throws<NetlinkException>(() => GenericNetlinkFamily.Resolve(s, "no_such_family"));
        Assert.Equal(2, ex.Errno); // ENOENT
        Assert.Throws<NetlinkException>(() => pm.GetGroup("nope"));
    }

    [KernelFact]
    public void A_missing_namespace_is_a_clear_error()
    {
        var ex = Assert.Throws<NetlinkException>(() => NetlinkSocket.Create(NetlinkProtocol.Route, "trib-no-such-netns"));
        Assert.Equal(2, ex.Errno);
        Assert.Contains("/run/netns/trib-no-such-netns", ex.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public async Task ReceiveAsync_completes_when_the_kernel_sends_an_event()
    {
        using var ns = TestNetworkNamespace.Create("nl");
        using var s = NetlinkSocket.Create(NetlinkProtocol.Route, ns.Name);
        s.JoinGroup(1);
        byte[] rx = new byte[65536];
        var pending = s.ReceiveAsync(rx).AsTask();
        ns.Ip("link", "add", "async0", "type", "bridge");
        NetlinkReceiveResult r = await pending.WithTimeout(what: "an RTM_NEWLINK event");
        Assert.True(r.FromKernel);
        Assert.Contains("async0", Encoding.ASCII.GetString(rx, 0, r.Length));
    }
}
