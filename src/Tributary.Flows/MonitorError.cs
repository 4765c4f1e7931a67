namespace Tributary.Flows;

/// <summary>
/// Why a monitoring call failed. The numeric value is the Linux errno mOS sets for the same failure, so a caller
/// that reproduces mOS output can print it; <see cref="Unchanged"/> is mOS's "returns -1, errno untouched".
/// </summary>
public enum MonitorError
{
    None = 0,
    Unchanged = -1,
    NotPermitted = 1,        // EPERM
    BadDescriptor = 9,       // EBADF
    TryAgain = 11,           // EAGAIN
    AccessDenied = 13,       // EACCES
    BadAddress = 14,         // EFAULT
    InvalidArgument = 22,    // EINVAL
    TooManyFiles = 23,       // ENFILE
    NotImplemented = 38,     // ENOSYS
    NoData = 61,             // ENODATA
    NotASocket = 88,         // ENOTSOCK
    ProtocolNotAvailable = 92, // ENOPROTOOPT
    NotConnected = 107,      // ENOTCONN
}
