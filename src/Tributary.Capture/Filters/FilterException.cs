namespace Tributary.Capture.Filters;

/// <summary>A filter expression libpcap could not compile, or a BPF program that is not valid; the message is libpcap's.</summary>
public sealed class FilterException : ArgumentException
{
    public FilterException(string expression, string message)
        : base(message)
    {
        Expression = expression;
    }

    /// <summary>The expression (or a description of the program) that failed.</summary>
    public string Expression { get; }
}
