using System.Net;
using System.Net.Sockets;

namespace Tributary.Mptcp.Tests.Lab;

/// <summary>An MPTCP listener that accepts and drains connections on a background task.</summary>
internal sealed class MptcpServer : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Socket> _accepted = [];

    public MptcpServer(string ns, int port, AddressFamily family)
    {
        _listener = MptcpSocket.Create(family, ns);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        _listener.Listen();
        _ = AcceptLoop();
    }

    public IReadOnlyList<Socket> Accepted
    {
        get
        {
            lock (_accepted)
                return [.. _accepted];
        }
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptAsync(_cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_accepted)
                _accepted.Add(s);
            _ = Drain(s);
        }
    }

    private async Task Drain(Socket s)
    {
        byte[] buf = new byte[65536];
        try
        {
            while (await s.ReceiveAsync(buf, _cts.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Dispose();
        lock (_accepted)
        {
            foreach (Socket s in _accepted)
                s.Dispose();
        }
    }
}
