using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tributary.Flows.Applications.Export;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// Where <c>--ipfix DEST</c> sends flow records: <c>udp:HOST:PORT</c> (an IPFIX collector; IPv6 hosts in brackets,
/// <c>udp:[::1]:4739</c>) or a file (RFC 5655, messages back to back; <c>-</c> is not allowed, standard output holds
/// the table).
/// </summary>
internal sealed class IpfixDestination : IDisposable
{
    private readonly Socket? _socket;
    private readonly IPEndPoint? _collector;
    private readonly FileStream? _file;
    private readonly string _text;

    private IpfixDestination(string text, Socket? socket, IPEndPoint? collector, FileStream? file)
    {
        _text = text;
        _socket = socket;
        _collector = collector;
        _file = file;
    }

    /// <summary>Parses and opens <paramref name="text"/>; a bad destination is a usage error (exit 2).</summary>
    public static IpfixDestination Open(string text)
    {
        if (text.StartsWith("udp:", StringComparison.Ordinal))
        {
            string rest = text[4..];
            int colon = rest.LastIndexOf(':');
            string host = colon > 0 ? rest[..colon].Trim('[', ']') : "";
            if (colon <= 0 || !ushort.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0
                || !IPAddress.TryParse(host, out IPAddress? address))
            {
                throw new CommandLineException($"--ipfix: '{text}' is not udp:ADDRESS:PORT (e.g. udp:127.0.0.1:4739, udp:[::1]:4739)", CommandRunner.ExitUsage);
            }
            var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            return new IpfixDestination(text, socket, new IPEndPoint(address, port), null);
        }
        if (text == "-")
            throw new CommandLineException("--ipfix: give a file or udp:ADDRESS:PORT (standard output holds the table)", CommandRunner.ExitUsage);
        try
        {
            return new IpfixDestination(text, null, null, new FileStream(text, FileMode.Create, FileAccess.Write));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(FileErrors.Describe(text, ex));
        }
    }

    /// <summary>A writer whose messages go here.</summary>
    public IpfixWriter CreateWriter() => new(Send, datagrams: _socket is not null);

    private void Send(ReadOnlyMemory<byte> message)
    {
        try
        {
            if (_socket is not null)
                _socket.SendTo(message.Span, _collector!);
            else
                _file!.Write(message.Span);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            throw new CommandLineException($"--ipfix {_text}: {ex.Message}");
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _file?.Dispose();
    }
}
