using System.Diagnostics;
using Tributary.Testing;

namespace Tributary.Flows.Tests.Inline;

/// <summary>
/// A middlebox lab between real kernel TCP endpoints: namespace C (10.99.0.1, c0) — veth — box (b0, b1, no
/// addresses: a program under test forwards between them) — veth — namespace S (10.99.0.2, s0, a Python server that
/// answers each connection to port 8080 or 8081 with "got:" and what it received, once the client has shut down its
/// sending side; port 8082 answers "peer:" and the address and port it saw the connection come from, getpeername).
/// Offloads are off on the box's interfaces.
/// </summary>
internal sealed class InlineLab : IDisposable
{
    private const string ServerScript = """
import socket, threading
def serve(port, v6=False):
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if v6 else "0.0.0.0", port)); s.listen(16)
    while True:
        c, peer = s.accept()
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b: break
                data += b
            c.sendall(("peer:%s:%d" % peer).encode() if port == 8082 else b"got:" + data)
            c.close()
        except OSError:
            pass
for p in (8080, 8081, 8082):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Thread(target=serve, args=(8080, True), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
""";

    private const string ClientScript = """
import socket, sys
try:
    c = socket.create_connection(("10.99.0.2", int(sys.argv[1])), timeout=3)
    c.sendall(sys.argv[2].encode()); c.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = c.recv(4096)
        if not b: break
        data += b
    print(data.decode())
except Exception as e:
    print("ERR " + type(e).__name__)
""";

    public readonly TestNetworkNamespace C = TestNetworkNamespace.Create("flc");
    public readonly TestNetworkNamespace Box = TestNetworkNamespace.Create("flb");
    public readonly TestNetworkNamespace S = TestNetworkNamespace.Create("fls");
    private Process? _server;

    private const string BulkClientScript = """
import socket, sys
n = int(sys.argv[2]); data = bytes(i * 7 % 251 for i in range(n))
try:
    c = socket.create_connection((sys.argv[3], int(sys.argv[1])), timeout=20)
    c.sendall(data); c.shutdown(socket.SHUT_WR)
    reply = bytearray()
    while True:
        b = c.recv(65536)
        if not b: break
        reply += b
    print("ok %d" % len(reply) if reply == b"got:" + data else "MISMATCH %d" % len(reply))
except Exception as e:
    print("ERR " + type(e).__name__)
""";

    /// <param name="endpointChecksumOffload">
    /// C and S leave their TCP checksums to the NIC, as Linux does by default (the box then receives frames whose
    /// checksum is not filled in); the box's own interfaces keep offloads off either way.
    /// </param>
    /// <param name="endpointSegmentationOffload">
    /// C and S also keep TSO and GSO, as Linux does by default: over a veth their super-frames (up to 64 KB) reach
    /// the box whole, larger than the MTU of the link they must leave by.
    /// </param>
    public InlineLab(bool endpointChecksumOffload = false, bool endpointSegmentationOffload = false)
    {
        C.Ip("link", "add", "c0", "type", "veth", "peer", "name", "b0", "netns", Box.Name);
        Box.Ip("link", "add", "b1", "type", "veth", "peer", "name", "s0", "netns", S.Name);
        C.Ip("addr", "add", "10.99.0.1/24", "dev", "c0");
        S.Ip("addr", "add", "10.99.0.2/24", "dev", "s0");
        C.Ip("-6", "addr", "add", "fd99::1/64", "dev", "c0", "nodad");
        S.Ip("-6", "addr", "add", "fd99::2/64", "dev", "s0", "nodad");
        foreach ((TestNetworkNamespace ns, string dev) in new[] { (C, "c0"), (Box, "b0"), (Box, "b1"), (S, "s0") })
        {
            ns.Ip("link", "set", dev, "up");
            // Real checksums on the wire and no super-frames: offloads off (capture hosts with offload write wrong checksums).
            string tx = (endpointChecksumOffload || endpointSegmentationOffload) && ns != Box ? "on" : "off";
            string tso = endpointSegmentationOffload && ns != Box ? "on" : "off";
            ns.Exec("ethtool", "-K", dev, "tx", tx, "rx", "off", "tso", tso, "gso", tso, "gro", "off");
        }
        Box.Sysctl("net.ipv6.conf.all.disable_ipv6", "1");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", S.Name, "python3", "-u", "-c", ServerScript])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _server = Process.Start(psi)!;
        Assert.Equal("ready", _server.StandardOutput.ReadLine());
    }

    /// <summary>One connection from C to S:<paramref name="port"/>: sends <paramref name="text"/>, shuts down, returns the reply (or "ERR " and the exception's type).</summary>
    public string Talk(int port, string text) =>
        ProcessRunner.Run("ip", ["netns", "exec", C.Name, "python3", "-c", ClientScript, port.ToString(System.Globalization.CultureInfo.InvariantCulture), text],
            timeout: TimeSpan.FromSeconds(20)).StandardOutput.Trim();

    /// <summary>
    /// One connection from C to S:<paramref name="port"/> (<paramref name="server"/>: 10.99.0.2, or fd99::2 for port 8080)
    /// carrying <paramref name="bytes"/> bytes each way (the server
    /// echoes them after "got:"): "ok" and the reply's length when it came back intact, else "MISMATCH" or "ERR …".
    /// </summary>
    public string TalkBulk(int port, int bytes, string server = "10.99.0.2") =>
        ProcessRunner.Run("ip", ["netns", "exec", C.Name, "python3", "-c", BulkClientScript,
            port.ToString(System.Globalization.CultureInfo.InvariantCulture), bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), server],
            timeout: TimeSpan.FromSeconds(40)).StandardOutput.Trim();

    /// <summary>
    /// Makes S send to <paramref name="address"/> through the box toward C (a static neighbour with c0's MAC address):
    /// the box is a bump in the wire and answers no ARP, so an address only a program in it translates (a NAT address)
    /// is reachable this way.
    /// </summary>
    public void RouteFromServerToClient(string address)
    {
        string mac = C.Exec("cat", "/sys/class/net/c0/address").EnsureSuccess("c0 MAC").StandardOutput.Trim(); // ip netns exec mounts C's /sys
        S.Ip("neigh", "replace", address, "lladdr", mac, "dev", "s0", "nud", "permanent");
    }

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            _server.WaitForExit();
        }
        _server?.Dispose();
        C.Dispose();
        Box.Dispose();
        S.Dispose();
    }
}
