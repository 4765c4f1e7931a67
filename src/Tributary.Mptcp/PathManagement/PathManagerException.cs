namespace Tributary.Mptcp;

/// <summary>
/// The path manager cannot start: MPTCP unavailable or disabled, no plugin registered, a refused
/// plugin directory. <see cref="Exception.Message"/> holds the log lines mptcpd prints for the case.
/// </summary>
public sealed class PathManagerException : Exception
{
    public PathManagerException(string message)
        : base(message)
    {
    }

    public PathManagerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PathManagerException()
    {
    }
}
