using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>MPTCP sockets in the namespaces of an <see cref="MptcpLab"/> (Tributary.Testing has no MPTCP sockets of its own).</summary>
internal static class MptcpLabSockets
{
    /// <summary>An MPTCP server in the server namespace on 0.0.0.0:<paramref name="port"/> (or [::]) that reads and discards; disposed with the lab.</summary>
    public static MptcpServer StartServer(this MptcpLab lab, int port, AddressFamily family = AddressFamily.InterNetwork) =>
        lab.Own(new MptcpServer(lab.Server.Name, port, family));

    /// <summary>Connects from the client namespace; the caller disposes the socket.</summary>
    public static async Task<Socket> ConnectAsync(this MptcpLab lab, IPAddress server, int port, IPAddress? local = null, string? fromNamespace = null)
    {
        Socket c = MptcpSocket.Create(server.AddressFamily, fromNamespace ?? lab.Client.Name);
        try
        {
            if (local is not null)
                c.Bind(new IPEndPoint(local, 0));
            await c.ConnectAsync(new IPEndPoint(server, port)).WithTimeout(what: "MPTCP connect");
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }
}
