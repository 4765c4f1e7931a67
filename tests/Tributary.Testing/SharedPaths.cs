namespace Tributary.Testing;

/// <summary>Locations of the repository and of <c>../shared</c> (references, corpus, tools) for tests.</summary>
public static class SharedPaths
{
    private static readonly Lazy<string> s_repo = new(FindRepositoryRoot);

    /// <summary>The repository root (the directory holding Tributary.slnx).</summary>
    public static string Repository => s_repo.Value;

    /// <summary>The shared folder beside the repository (<c>../shared</c>).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Repository, "..", "shared"));

    public static string Corpus => Path.Combine(Shared, "corpus");

    public static string Reference => Path.Combine(Shared, "reference");

    public static string Tools => Path.Combine(Shared, "tools");

    /// <summary>A path under <c>../shared</c>; fails the test with a clear message when it is missing.</summary>
    public static string RequireShared(params string[] parts)
    {
        string path = Path.Combine([Shared, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"test input missing: {path} (../shared must sit beside the repository)", path);
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Tributary.slnx")))
                return dir;
        }
        throw new InvalidOperationException($"cannot find the repository root above {AppContext.BaseDirectory}");
    }
}
