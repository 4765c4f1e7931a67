namespace Tributary.Flows.Tests.Support;

/// <summary>
/// The <c>./tributary</c> launcher builds the CLI on first use (or after a source change), which can take minutes
/// on a loaded machine: process-level tests build it once, up front, so that timing-sensitive ones (live capture)
/// do not race the build.
/// </summary>
internal static class Launcher
{
    private static readonly Lazy<string> s_path = new(() =>
    {
        string bin = System.IO.Path.Combine(SharedPaths.Repository, "tributary");
        ProcessRunner.Run(bin, ["--help"], timeout: TimeSpan.FromMinutes(10)).EnsureSuccess("building the tributary launcher");
        return bin;
    });

    public static string Path => s_path.Value;
}
