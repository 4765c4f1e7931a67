using System.Net;
using System.Net.Sockets;
using Tributary.Mptcp.Interop;
using Tributary.Mptcp.Tests.Lab;
using Tributary.Netlink;

namespace Tributary.Mptcp.Tests.Kernel;

/// <summary>The sock_diag client: layouts against the kernel header, decoding of built replies, and a dump of real connections in the lab.</summary>
public class DiagClientTests
{
    [ToolFact("gcc")]
    public void Inet_diag_structs_match_the_kernel_header() =>
        CStructLayout.AssertMatchesC(["linux/inet_diag.h"], [typeof(inet_diag_sockid), typeof(inet_diag_req_v2), typeof(inet_diag_msg)]);

    [ToolFact("gcc")]
    public void Inet_diag_constants_match_the_kernel_headers()
    {
        string c = "#include <linux/inet_diag.h>\n#include <linux/sock_diag.h>\n#include <netinet/tcp.h>\n#include <linux/mptcp.h>\n" + string.Concat(
            new (string Name, long Value)[]
            {
                ("SOCK_DIAG_BY_FAMILY", InetDiag.SOCK_DIAG_BY_FAMILY),
                ("INET_DIAG_REQ_PROTOCOL", InetDiag.INET_DIAG_REQ_PROTOCOL),
                ("INET_DIAG_INFO", InetDiag.INET_DIAG_INFO),
                ("INET_DIAG_SHUTDOWN", InetDiag.INET_DIAG_SHUTDOWN),
                ("INET_DIAG_ULP_INFO", InetDiag.INET_DIAG_ULP_INFO),
                ("INET_ULP_INFO_NAME", InetDiag.INET_ULP_INFO_NAME),
                ("INET_ULP_INFO_MPTCP", InetDiag.INET_ULP_INFO_MPTCP),
                ("TCP_ESTABLISHED", InetDiag.TCP_ESTABLISHED),
                ("TCP_SYN_SENT", InetDiag.TCP_SYN_SENT),
                ("TCP_SYN_RECV", InetDiag.TCP_SYN_RECV),
                ("TCP_CLOSE", InetDiag.TCP_CLOSE),
                ("TCP_CLOSE_WAIT", InetDiag.TCP_CLOSE_WAIT),
                ("TCP_LISTEN", InetDiag.TCP_LISTEN),
                ("MPTCP_SUBFLOW_ATTR_TOKEN_REM", MptcpPm.MPTCP_SUBFLOW_ATTR_TOKEN_REM),
                ("MPTCP_SUBFLOW_ATTR_TOKEN_LOC", MptcpPm.MPTCP_SUBFLOW_ATTR_TOKEN_LOC),
                ("MPTCP_SUBFLOW_ATTR_FLAGS", MptcpPm.MPTCP_SUBFLOW_ATTR_FLAGS),
                ("MPTCP_SUBFLOW_ATTR_ID_REM", MptcpPm.MPTCP_SUBFLOW_ATTR_ID_REM),
                ("MPTCP_SUBFLOW_ATTR_ID_LOC", MptcpPm.MPTCP_SUBFLOW_ATTR_ID_LOC),
                ("MPTCP_SUBFLOW_FLAG_MCAP_REM", (long)MptcpSubflowFlags.MpCapableRemote),
                ("MPTCP_SUBFLOW_FLAG_MCAP_LOC", (long)MptcpSubflowFlags.MpCapableLocal),
                ("MPTCP_SUBFLOW_FLAG_JOIN_REM", (long)MptcpSubflowFlags.JoinRemote),
                ("MPTCP_SUBFLOW_FLAG_JOIN_LOC", (long)MptcpSubflowFlags.JoinLocal),
                ("MPTCP_SUBFLOW_FLAG_BKUP_REM", (long)MptcpSubflowFlags.BackupRemote),
                ("MPTCP_SUBFLOW_FLAG_BKUP_LOC", (long)MptcpSubflowFlags.BackupLocal),
                ("MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED", (long)MptcpSubflowFlags.FullyEstablished),
                ("MPTCP_SUBFLOW_FLAG_CONNECTED", (long)MptcpSubflowFlags.Connected),
                ("MPTCP_SUBFLOW_FLAG_MAPVALID", (long)MptcpSubflowFlags.MapValid),
            }.Select(k => $"_Static_assert({k.Name} == {k.Value}, \"{k.Name} is not {k.Value}\");\n"));
        ProcessResult r = ProcessRunner.Run("gcc", ["-fsyntax-only", "-x", "c", "-"], c);
        Assert.True(r.ExitCode == 0, r.StandardError);
    }

    private delegate void WriteAttributes(ref NetlinkMessageWriter w);

    /// <summary>A SOCK_DIAG_BY_FAMILY reply message as the kernel lays it out.</summary>
    private static byte[] Reply(byte family, byte state, uint inode, IPAddress src, ushort sport, IPAddress dst, ushort dport, int ifindex,
        WriteAttributes? attributes)
    {
        byte[] buf = new byte[1024];
        var w = new NetlinkMessageWriter(buf);
        w.BeginMessage(InetDiag.SOCK_DIAG_BY_FAMILY, NetlinkMessageFlags.Multi);
        Span<byte> h = w.Reserve(72);
        h[0] = family;
        h[1] = state;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h[4..], sport);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h[6..], dport);
        src.TryWriteBytes(h[8..], out _);
        dst.TryWriteBytes(h[24..], out _);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(h[40..], ifindex);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(h[68..], inode);
        attributes?.Invoke(ref w);
        return w.Finish().ToArray();
    }

    private static T Parse<T>(byte[] bytes, Func<NetlinkMessage, T> parse)
    {
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.MoveNext());
        return parse(reader.Current);
    }

    [Fact]
    public void Decodes_an_mptcp_socket_with_its_info_and_shutdown_state()
    {
        byte[] info = new byte[96];
        info[8] = 2;                                                // mptcpi_flags: REMOTE_KEY_RECEIVED
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(12), 0xf2f7a165); // mptcpi_token
        byte[] bytes = Reply(10, 5, 0, IPAddress.Parse("fd11:1::1"), 60880, IPAddress.Parse("fd11:1::2"), 5201, 0, (ref NetlinkMessageWriter w) =>
        {
            w.PutU8(InetDiag.INET_DIAG_SHUTDOWN, 3);
            w.PutBytes(InetDiag.INET_DIAG_INFO, info);
        });
        MptcpConnectionInfo c = Parse(bytes, m => MptcpDiagClient.ParseConnection(m))!;
        Assert.Equal(0xf2f7a165u, c.Token);
        Assert.Equal("[fd11:1::1]:60880", c.Local.ToString());
        Assert.Equal("[fd11:1::2]:5201", c.Remote.ToString());
        Assert.Equal(5, c.State);
        Assert.True(c.RemoteKeyReceived);
        Assert.True(c.IsClosedByApplication);
        Assert.False(c.IsFallback);
        Assert.Null(MptcpDiagClient.ParseConnection(new NetlinkMessage(InetDiag.SOCK_DIAG_BY_FAMILY, 0, 0, 0, bytes.AsSpan(16, 60))));
    }

    [Fact]
    public void Decodes_a_tcp_subflow_from_its_ulp_info_and_skips_plain_tcp()
    {
        byte[] bytes = Reply(2, 1, 7, IPAddress.Parse("10.11.2.1"), 33889, IPAddress.Parse("10.11.1.2"), 5201, 3, (ref NetlinkMessageWriter w) =>
        {
            int ulp = w.BeginNested(InetDiag.INET_DIAG_ULP_INFO);
            w.PutString(InetDiag.INET_ULP_INFO_NAME, "mptcp");
            int mp = w.BeginNested(InetDiag.INET_ULP_INFO_MPTCP);
            w.PutU32(MptcpPm.MPTCP_SUBFLOW_ATTR_TOKEN_REM, 0xd34c3dc3);
            w.PutU32(MptcpPm.MPTCP_SUBFLOW_ATTR_TOKEN_LOC, 0xf2f7a165);
            w.PutU32(MptcpPm.MPTCP_SUBFLOW_ATTR_FLAGS, 0xcc); // J j e c
            w.PutU8(MptcpPm.MPTCP_SUBFLOW_ATTR_ID_REM, 0);
            w.PutU8(MptcpPm.MPTCP_SUBFLOW_ATTR_ID_LOC, 1);
            w.EndNested(mp);
            w.EndNested(ulp);
        });
        MptcpSubflowInfo s = Parse(bytes, m => MptcpDiagClient.ParseSubflow(m))!;
        Assert.Equal(new MptcpSubflowInfo(0xf2f7a165, new MptcpAddress(IPAddress.Parse("10.11.2.1"), 33889),
            new MptcpAddress(IPAddress.Parse("10.11.1.2"), 5201), 1, 1, 0,
            MptcpSubflowFlags.JoinRemote | MptcpSubflowFlags.JoinLocal | MptcpSubflowFlags.FullyEstablished | MptcpSubflowFlags.Connected, 3), s);
        Assert.False(s.IsInitial);
        byte[] plain = Reply(2, 1, 7, IPAddress.Loopback, 1, IPAddress.Loopback, 2, 0, null);
        Assert.Null(Parse(plain, m => MptcpDiagClient.ParseSubflow(m)));
    }

    [KernelFact]
    public async Task Lists_the_labs_connections_with_tokens_and_subflows()
    {
        using var lab = new MptcpLab();
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "2", "add_addr_accepted", "2");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "subflow");
        lab.StartServer(5201);
        using Socket a = await lab.ConnectAsync(MptcpLab.S1, 5201, MptcpLab.C1);
        await a.SendAsync(new byte[100]);
        TaskTimeouts.WaitUntil(() => MptcpSocket.GetInfo(a)!.Subflows == 1, TimeSpan.FromSeconds(10), "the join subflow");
        uint token = MptcpSocket.GetInfo(a)!.Token;
        using var diag = MptcpDiagClient.Open(lab.Client.Name);
        IReadOnlyList<MptcpSubflowInfo> subflows = [];
        TaskTimeouts.WaitUntil(() => (subflows = diag.DumpSubflows()).Count(s => s.Token == token && (s.Flags & MptcpSubflowFlags.FullyEstablished) != 0) == 2,
            TimeSpan.FromSeconds(10), $"both subflows of {token:x8} fully established: {string.Join("; ", subflows)} / {string.Join("; ", diag.DumpConnections())}");
        MptcpConnectionInfo c = diag.DumpConnections().Single(x => x.Token == token);
        Assert.Equal(MptcpAddress.FromEndPoint((IPEndPoint)a.LocalEndPoint!), c.Local);
        Assert.Equal(new MptcpAddress(MptcpLab.S1, 5201), c.Remote);
        Assert.Equal(1, c.State);
        Assert.NotEqual(0u, c.Inode);
        Assert.True(c.RemoteKeyReceived);
        MptcpSubflowInfo initial = subflows.Single(s => s.Token == token && s.IsInitial);
        Assert.Equal(c.Local, initial.Local);
        Assert.True((initial.Flags & MptcpSubflowFlags.MpCapableLocal) != 0); // the client asked for MP_CAPABLE
        MptcpSubflowInfo join = subflows.Single(s => s.Token == token && !s.IsInitial);
        Assert.True(join.Local.SameAddress(MptcpLab.C2));
        Assert.Equal(3, join.InterfaceIndex);
        Assert.Equal(1, join.LocalId);
        Assert.DoesNotContain(diag.DumpConnections(includeListeners: true), x => x.IsListener);

        // The server's side of the same connection, in the other namespace: a listener, and an initial subflow it did not ask for.
        using var server = MptcpDiagClient.Open(lab.Server.Name);
        Assert.DoesNotContain(server.DumpConnections(), x => x.IsListener);
        Assert.Contains(server.DumpConnections(includeListeners: true), x => x.IsListener && x.Local.Port == 5201);
        MptcpConnectionInfo accepted = server.DumpConnections().Single(x => x.Remote == c.Local);
        MptcpSubflowInfo serverInitial = server.DumpSubflows().Single(s => s.Token == accepted.Token && s.IsInitial);
        Assert.Equal(MptcpSubflowFlags.None, serverInitial.Flags & MptcpSubflowFlags.MpCapableLocal);
        Assert.True(ConnectionResync.FromDiag(server.DumpConnections(includeListeners: true), server.DumpSubflows()).Single().ServerSide);
    }
}
