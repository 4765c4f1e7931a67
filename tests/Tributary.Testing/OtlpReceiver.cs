using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tributary.Testing;

/// <summary>
/// A test OpenTelemetry collector: Kestrel on 127.0.0.1 (a random port) answering every POST with 200 and recording
/// its path, content type and body, as an OTLP/HTTP receiver does. Started on a listening socket made elsewhere (inside
/// a test's network namespace) it serves that namespace's loopback.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Request> _requests = [];
    private readonly Socket _socket;

    /// <summary>A request as received.</summary>
    public sealed record Request(string Path, string? ContentType, byte[] Body)
    {
        public OtlpMetricsRequest Decode() => OtlpMetricsRequest.Decode(Body);
    }

    private OtlpReceiver(Socket socket)
    {
        _socket = socket;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenHandle((ulong)socket.Handle));
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body).ConfigureAwait(false);
            lock (_requests)
                _requests.Add(new Request(context.Request.Path.Value ?? "", context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = context.Request.Method == "POST" ? 200 : 405;
            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.FlushAsync().ConfigureAwait(false); // an empty ExportMetricsServiceResponse
        });
    }

    /// <summary>The receiver's base URL (no path).</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}");

    /// <summary>The requests so far, in order of arrival.</summary>
    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>Starts on 127.0.0.1 and a random port of this network namespace.</summary>
    public static Task<OtlpReceiver> StartAsync() => StartAsync(Listen());

    /// <summary>Starts on <paramref name="listening"/>, a bound and listening TCP socket (made in a test's namespace); owns it.</summary>
    public static async Task<OtlpReceiver> StartAsync(Socket listening)
    {
        var receiver = new OtlpReceiver(listening);
        await receiver._app.StartAsync().WithTimeout(what: "Kestrel to start").ConfigureAwait(false);
        return receiver;
    }

    /// <summary>A TCP socket listening on 127.0.0.1 and a random port (of the calling thread's network namespace).</summary>
    public static Socket Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout(what: "Kestrel to stop").ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
