namespace Tributary.Capture.Tests.Corpus;

/// <summary>The capture files of ../shared/corpus (pcap and pcapng, not the oracles).</summary>
public static class CorpusFiles
{
    public static IReadOnlyList<string> All { get; } = Directory.Exists(SharedPaths.Corpus)
        ? Directory.GetFiles(SharedPaths.Corpus)
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
        : [];

    /// <summary>xunit theory data: one row per corpus file name.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (string f in All)
            data.Add(f);
        return data;
    }

    public static string PathOf(string name) => SharedPaths.RequireShared("corpus", name);
}
