namespace Tributary.Flows;

/// <summary>A monitoring call failed; <see cref="Error"/> says why (the errno mOS would set).</summary>
public sealed class MonitorException : Exception
{
    public MonitorException() : this(MonitorError.Unchanged, "monitor call failed") { }
    public MonitorException(string message) : this(MonitorError.Unchanged, message) { }
    public MonitorException(string message, Exception inner) : base(message, inner) => Error = MonitorError.Unchanged;

    public MonitorException(MonitorError error, string message) : base($"{message} ({error})") => Error = error;

    public MonitorError Error { get; }

    internal static void ThrowIfFailed(MonitorError error, string operation)
    {
        if (error != MonitorError.None)
            throw new MonitorException(error, operation);
    }
}
