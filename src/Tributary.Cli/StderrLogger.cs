using Microsoft.Extensions.Logging;

namespace Tributary.Cli;

/// <summary>Writes log lines to standard error as <c>tributary: LEVEL: message</c>, from a minimum level.</summary>
internal sealed class StderrLogger(LogLevel minimum) : ILogger
{
    private static readonly object s_lock = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        string level = logLevel switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        string text = formatter(state, exception);
        if (exception is not null)
            text += $" ({exception.GetType().Name}: {exception.Message})";
        lock (s_lock)
            Console.Error.WriteLine($"tributary: {level}: {text}");
    }
}
