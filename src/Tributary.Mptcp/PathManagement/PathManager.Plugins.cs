using System.Reflection;
using Microsoft.Extensions.Logging;
using Tributary.Mptcp.Internal;

namespace Tributary.Mptcp;

public sealed partial class PathManager
{
    /// <summary>
    /// Loads plugins with mptcpd's rules (INVENTORY c.3): the directory must exist when it was configured
    /// explicitly (a missing default directory only means "built-ins only") and must not be world
    /// writable; without a load list every built-in and every <c>*.dll</c> (regular files, in name
    /// order) is loaded, with one the named ones in list order (built-in names first, else
    /// <c>DIR/NAME.dll</c>; missing ones are logged and skipped). Plugins are then initialised in
    /// priority order, stable for equal priorities. Success needs at least one registration.
    /// </summary>
    internal bool LoadPlugins()
    {
        IReadOnlyList<Func<MptcpPlugin>> builtIns = _options.BuiltInPlugins ?? new Func<MptcpPlugin>[] { () => new AddrAdvPlugin(), () => new SspiPlugin() };
        string dir = _options.PluginDirectory ?? PathManagerOptions.DefaultPluginDirectory;
        bool explicitDir = _options.PluginDirectory is not null;
        if (!CheckPluginDirectory(dir, explicitDir, out bool dirUsable))
            return false;

        var loaded = new List<MptcpPlugin>();
        if (_options.LoadPlugins is null)
        {
            foreach (Func<MptcpPlugin> make in builtIns)
                loaded.Add(make());
            if (dirUsable)
            {
                foreach (string file in Directory.EnumerateFiles(dir, "*.dll").Order(StringComparer.Ordinal))
                {
                    if (new FileInfo(file).LinkTarget is not null)
                        continue; // mptcpd loads only regular files (DT_REG), not symlinks
                    if (LoadPluginAssembly(file) is { } p)
                        loaded.Add(p);
                }
            }
        }
        else
        {
            foreach (string name in _options.LoadPlugins)
            {
                if (name.Length == 0)
                    continue;
                MptcpPlugin? builtIn = builtIns.Select(f => f()).FirstOrDefault(p => p.Name == name);
                if (builtIn is not null)
                {
                    loaded.Add(builtIn);
                    continue;
                }
                string path = Path.Combine(dir, name + ".dll");
                if (!dirUsable || !File.Exists(path))
                {
                    _log.LogError("{Path}: cannot open plugin assembly: No such file or directory", path);
                    continue;
                }
                if (LoadPluginAssembly(path) is { } p)
                    loaded.Add(p);
            }
        }

        // OrderBy is stable: equal priorities keep load order (mptcpd inserts after its equals).
        _plugins = [.. loaded.OrderBy(p => p.Priority)];
        foreach (MptcpPlugin p in _plugins)
        {
            bool ok;
            try
            {
                ok = p.Initialize(this);
            }
#pragma warning disable CA1031 // a plugin's failure is logged, as mptcpd logs a failed init
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log.LogError(ex, "Plugin \"{Name}\" threw during initialization", p.Name);
                ok = false;
            }
            if (!ok)
                _log.LogWarning("Plugin \"{Name}\" failed to initialize", p.Name);
        }
        lock (_dispatch)
            return _registrations.Count > 0;
    }

    /// <summary>The directory checks; false when loading must fail. <paramref name="usable"/>: the directory can be read.</summary>
    private bool CheckPluginDirectory(string dir, bool explicitDir, out bool usable)
    {
        usable = false;
        if (!Directory.Exists(dir))
        {
            if (!explicitDir && !File.Exists(dir))
                return true; // DESIGN.md "Paths": a missing default directory is not an error
            _log.LogError("Unable to open plugin directory: {Error}", File.Exists(dir) ? "Not a directory" : "No such file or directory");
            return false;
        }
        UnixFileMode mode;
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("the path manager runs on Linux");
        try
        {
            mode = File.GetUnixFileMode(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogError("Unable to open plugin directory: {Error}", ex.Message);
            return false;
        }
        if ((mode & UnixFileMode.OtherWrite) != 0)
        {
            // Anyone could drop code the daemon would run with CAP_NET_ADMIN (INVENTORY c.3).
            _log.LogError("\"{Dir}\" should be a directory that is not world writable.", dir);
            return false;
        }
        usable = true;
        return true;
    }

    /// <summary>Loads one plugin assembly in its own load context; null (logged) when it holds no usable plugin.</summary>
    private MptcpPlugin? LoadPluginAssembly(string path)
    {
        try
        {
            var context = new PluginLoadContext(path);
            Assembly assembly = context.LoadFromAssemblyPath(Path.GetFullPath(path));
            Type[] types = assembly.GetExportedTypes()
                .Where(t => typeof(MptcpPlugin).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
                .ToArray();
            if (types.Length == 0)
            {
                _log.LogError("{Path}: no plugin found (a public, non-abstract MptcpPlugin subclass with a parameterless constructor)", path);
                return null;
            }
            if (types.Length > 1)
            {
                _log.LogError("{Path}: more than one plugin ({Types}); one plugin per assembly", path, string.Join(", ", types.Select(t => t.FullName)));
                return null;
            }
            var plugin = (MptcpPlugin)Activator.CreateInstance(types[0])!;
            if (string.IsNullOrEmpty(plugin.Name))
            {
                _log.LogError("No plugin name specified in {Path}", path);
                return null;
            }
            return plugin;
        }
#pragma warning disable CA1031 // a broken assembly is skipped, as mptcpd skips a file dlopen rejects
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.LogError("{Path}: {Error}", path, (ex as TargetInvocationException)?.InnerException?.Message ?? ex.Message);
            return null;
        }
    }

    /// <summary>Runs every plugin's exit in reverse initialisation order (<c>mptcpd_plugin_unload</c>).</summary>
    private void UnloadPlugins()
    {
        for (int i = _plugins.Count - 1; i >= 0; i--)
        {
            try
            {
                _plugins[i].Exit(this);
            }
#pragma warning disable CA1031 // every plugin gets its exit even if one fails
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log.LogError(ex, "Plugin \"{Name}\" failed in exit", _plugins[i].Name);
            }
        }
    }
}
