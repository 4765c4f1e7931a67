using Microsoft.Extensions.Logging;

namespace Tributary.Mptcp.Tests;

/// <summary>Collects log lines ("Level: message") so tests can assert what the daemon said.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IReadOnlyList<string> Errors => Lines.Where(l => l.StartsWith("Error:", StringComparison.Ordinal)).ToList();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
            _lines.Add($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
    }

    public override string ToString() => string.Join('\n', Lines);
}
