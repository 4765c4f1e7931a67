using System.Reflection;
using System.Runtime.Loader;

namespace Tributary.Mptcp.Internal;

/// <summary>
/// The load context of one plugin assembly: the plugin's own dependencies come from its directory,
/// while Tributary and the logging abstractions always come from the daemon, so that the plugin's
/// <see cref="MptcpPlugin"/> is the daemon's type even if a copy ships beside the plugin.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly string _directory;
    private readonly AssemblyDependencyResolver? _resolver;

    public PluginLoadContext(string pluginPath)
        : base($"plugin {Path.GetFileName(pluginPath)}", isCollectible: false)
    {
        _directory = Path.GetDirectoryName(Path.GetFullPath(pluginPath))!;
        try
        {
            _resolver = new AssemblyDependencyResolver(Path.GetFullPath(pluginPath));
        }
        catch (InvalidOperationException)
        {
            _resolver = null; // no .deps.json: probe the plugin's directory only
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string? name = assemblyName.Name;
        if (name is null || name.StartsWith("Tributary.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))
            return null;
        string? path = _resolver?.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            string candidate = Path.Combine(_directory, name + ".dll");
            path = File.Exists(candidate) ? candidate : null;
        }
        return path is null ? null : LoadFromAssemblyPath(path);
    }
}
