namespace Tributary.Cli;

/// <summary>
/// The reason a file could not be opened, worded as the C tools word it (strerror): "No such file or directory",
/// "Is a directory", "Permission denied". .NET reports opening a directory as access denied, and its own messages
/// quote the path a second time.
/// </summary>
internal static class FileErrors
{
    /// <summary>One line for the user: <c>PATH: reason</c>.</summary>
    public static string Describe(string path, Exception error) => $"{path}: {Reason(path, error)}";

    private static string Reason(string path, Exception error) => error switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException when Directory.Exists(path) => "Is a directory",
        UnauthorizedAccessException => "Permission denied",
        PathTooLongException => "File name too long",
        _ => error.Message,
    };
}
