using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Tributary.Mptcp.Daemon;

/// <summary>
/// The daemon's log, to one of mptcpd's targets: standard error (one line per message, as ELL prints
/// them), syslog (RFC 3164 datagrams to /dev/log, facility daemon), the systemd journal (native protocol
/// on /run/systemd/journal/socket, falling back to standard error when there is no journal), or nowhere.
/// Debug messages appear only with <c>--debug</c>. Thread-safe.
/// </summary>
public sealed class MptcpdLogger : ILogger, IDisposable
{
    public const string Identifier = "tributary-mptcpd";

    private readonly MptcpdLogTarget _target;
    private readonly TextWriter _stderr;
    private readonly bool _debug;
    private readonly Lock _lock = new();
    private Socket? _socket;
    private UnixDomainSocketEndPoint? _endPoint;

    public MptcpdLogger(MptcpdLogTarget target, bool debug, TextWriter stderr)
    {
        _target = target;
        _debug = debug;
        _stderr = stderr;
        string? path = target switch
        {
            MptcpdLogTarget.Syslog => "/dev/log",
            MptcpdLogTarget.Journal => "/run/systemd/journal/socket",
            _ => null,
        };
        if (path is not null)
        {
            try
            {
                _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _endPoint = new UnixDomainSocketEndPoint(path);
                _socket.Connect(_endPoint);
            }
            catch (SocketException)
            {
                _socket?.Dispose();
                _socket = null; // no syslog/journal daemon here: fall back to standard error
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) =>
        _target != MptcpdLogTarget.Null && logLevel != LogLevel.None && (logLevel >= LogLevel.Information || (_debug && logLevel >= LogLevel.Debug));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
            return;
        string message = formatter(state, exception);
        if (exception is not null && logLevel >= LogLevel.Error)
            message += ": " + exception.Message;
        lock (_lock)
        {
            foreach (string line in message.Split('\n'))
                Write(logLevel, line);
        }
    }

    private void Write(LogLevel level, string line)
    {
        int severity = level switch
        {
            LogLevel.Critical => 2,
            LogLevel.Error => 3,
            LogLevel.Warning => 4,
            LogLevel.Information => 6,
            _ => 7,
        };
        if (_socket is not null)
        {
            try
            {
                byte[] datagram = _target == MptcpdLogTarget.Journal
                    ? Encoding.UTF8.GetBytes($"MESSAGE={line.Replace('\n', ' ')}\nPRIORITY={severity}\nSYSLOG_IDENTIFIER={Identifier}\nSYSLOG_PID={Environment.ProcessId}\n")
                    : Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"<{(3 * 8) + severity}>{Identifier}[{Environment.ProcessId}]: {line}"));
                _socket.Send(datagram);
                return;
            }
            catch (SocketException)
            {
                // the log daemon went away: keep the message on standard error
            }
        }
        _stderr.WriteLine(line);
        _stderr.Flush();
    }

    public void Dispose() => _socket?.Dispose();
}
