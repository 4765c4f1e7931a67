namespace Tributary.Flows.Tests.Support;

/// <summary>
/// The lab captures of this test project (Fixtures/Captures, copied to the test output): real kernel traffic made by
/// Fixtures/Captures/lab/*.sh, each with the <c>.oracle.tsv</c> of tools/flows/oracle.sh (Fixtures/Captures/README.md).
/// </summary>
internal static class LabCaptures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Captures");

    /// <summary>The full path of one capture; fails the test with a clear message when it was not copied.</summary>
    public static string Resolve(string name)
    {
        string path = Path.Combine(Folder, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"lab capture missing: {path} (Fixtures/** must be copied to the output)", path);
        return path;
    }

    /// <summary>The file names of all lab captures, in order.</summary>
    public static IEnumerable<string> Names() =>
        Directory.GetFiles(Folder).Select(Path.GetFileName).OfType<string>()
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal)).Order();
}
