using System.Net;

namespace Tributary.Mptcp.Tests.Plugins;

/// <summary>
/// mptcpd's test-plugin re-expressed (peer-tests.md, INVENTORY c.3/c.4) with real plugin assemblies:
/// directory permissions, load lists, priorities and the default plugin, dispatch by token and name,
/// empty operations, broken plugins. Built-ins are turned off here, as mptcpd's tests have none.
/// </summary>
public class PluginLoadingTests : IDisposable
{
    private readonly List<string> _dirs = [];
    private readonly ListLogger _log = new();
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];

    private string N(string name) => $"{name}_{_id}";

    private string Dir(UnixFileMode? mode = null)
    {
        string d = mode is { } m ? PluginCompiler.NewDirectory(m) : PluginCompiler.NewDirectory();
        _dirs.Add(d);
        return d;
    }

    private PathManager Detached(string dir, IReadOnlyList<string>? load = null, string? defaultPlugin = null, IReadOnlyList<Func<MptcpPlugin>>? builtIns = null) =>
        new(new PathManagerOptions
        {
            PluginDirectory = dir,
            LoadPlugins = load,
            DefaultPlugin = defaultPlugin,
            Logger = _log,
            BuiltInPlugins = builtIns ?? [],
        }, client: null);

    private static MptcpEventAttributes Event(int fixture, uint token)
    {
        Assert.True(MptcpEventAttributes.TryParse(Kernel.WireFixtures.Events[fixture].Bytes, out MptcpEventAttributes a));
        return a with { Token = token };
    }

    // wire-fixtures.txt order: CREATED, ESTABLISHED, ANNOUNCED, SUB_ESTABLISHED, SUB_ESTABLISHED, CLOSED, CREATED, ESTABLISHED, SUB_ESTABLISHED, SUB_CLOSED, CLOSED
    private static MptcpEventAttributes Created(uint token) => Event(0, token);

    private static MptcpEventAttributes Established(uint token) => Event(1, token);

    private static MptcpEventAttributes Announced(uint token) => Event(2, token);

    private static MptcpEventAttributes SubEstablished(uint token) => Event(3, token);

    private static MptcpEventAttributes Closed(uint token) => Event(5, token);

    private static MptcpEventAttributes SubClosed(uint token) => Event(9, token);

    [Fact]
    public void Good_permissions_load_and_the_named_default_takes_connections()
    {
        string dir = Dir(); // 0770
        PluginCompiler.Compile(dir, "one.dll", PluginCompiler.PluginSource(N("plugin_one"), PluginPriority.High));
        PluginCompiler.Compile(dir, "four.dll", PluginCompiler.PluginSource(N("plugin_four"), PluginPriority.Low));
        using PathManager pm = Detached(dir, defaultPlugin: N("plugin_four"));
        Assert.True(pm.LoadPlugins());
        Assert.Equal([N("plugin_one"), N("plugin_four")], pm.RegisteredPlugins); // priority order
        Assert.Equal(N("plugin_four"), pm.DefaultPluginName);
        pm.Dispatch(Created(0x12345678));
        pm.Dispatch(Established(0x12345678));
        pm.Dispatch(Closed(0x12345678));
        Assert.Equal(3, TestPluginRecorder.Total(N("plugin_four")));
        Assert.Equal(0, TestPluginRecorder.Total(N("plugin_one")));
        pm.Dispose();
        Assert.Equal([N("plugin_four"), N("plugin_one")], TestPluginRecorder.Exits.Where(e => e.EndsWith(_id, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_world_writable_directory_is_refused()
    {
        string dir = Dir(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        PluginCompiler.Compile(dir, "one.dll", PluginCompiler.PluginSource(N("plugin_one"), 0));
        using PathManager pm = Detached(dir, builtIns: [() => new SspiPlugin()]);
        Assert.False(pm.LoadPlugins());
        Assert.Contains($"Error: \"{dir}\" should be a directory that is not world writable.", _log.Lines);
        Assert.Empty(pm.RegisteredPlugins);
    }

    [Fact]
    public void No_plugins_missing_directories_and_missing_names_fail_to_load()
    {
        using (PathManager pm = Detached(Dir()))
            Assert.False(pm.LoadPlugins()); // empty directory
        using (PathManager pm = Detached("/nonexistent/trib-plugins", builtIns: [() => new SspiPlugin()]))
            Assert.False(pm.LoadPlugins()); // an explicitly given directory must exist
        Assert.Contains("Error: Unable to open plugin directory: No such file or directory", _log.Lines);
        string dir = Dir();
        using (PathManager pm = Detached(dir, load: ["nonexistent_plugin"]))
            Assert.False(pm.LoadPlugins());
        Assert.Contains($"Error: {dir}/nonexistent_plugin.dll: cannot open plugin assembly: No such file or directory", _log.Lines);
    }

    [Fact]
    public void A_load_list_loads_files_by_name_and_built_ins_by_plugin_name()
    {
        string dir = Dir();
        PluginCompiler.Compile(dir, "four.dll", PluginCompiler.PluginSource(N("plugin_four"), PluginPriority.Low));
        PluginCompiler.Compile(dir, "one.dll", PluginCompiler.PluginSource(N("plugin_one"), PluginPriority.High));
        using PathManager pm = Detached(dir, load: ["four", "sspi", "nonexistent"], builtIns: [() => new SspiPlugin()]);
        Assert.True(pm.LoadPlugins()); // one good plugin is enough (s00: --load-plugins=sspi,nonexistent)
        Assert.Equal([N("plugin_four"), "sspi"], pm.RegisteredPlugins.OrderBy(n => n == "sspi" ? 1 : 0));
        Assert.Equal("sspi", pm.DefaultPluginName); // priority 0 beats plugin_four's 19
    }

    [Fact]
    public void Dispatch_by_priority_by_name_and_by_token_with_unknown_names_falling_back()
    {
        string dir = Dir();
        PluginCompiler.Compile(dir, "two.dll", PluginCompiler.PluginSource(N("plugin_two"), PluginPriority.Low));
        PluginCompiler.Compile(dir, "one.dll", PluginCompiler.PluginSource(N("plugin_one"), PluginPriority.High));
        using PathManager pm = Detached(dir);
        Assert.True(pm.LoadPlugins());
        Assert.Equal(N("plugin_one"), pm.DefaultPluginName);
        pm.Dispatch(Created(0x12345678), N("plugin_one"));
        pm.Dispatch(Created(0x23456789));                        // null name: the default
        pm.Dispatch(Created(0x34567890), N("plugin_two"));
        pm.Dispatch(Created(0x45678901), "nonexistent_plugin");  // falls back to the default, no crash
        foreach (uint t in new uint[] { 0x12345678, 0x23456789, 0x34567890 })
        {
            pm.Dispatch(Established(t));
            pm.Dispatch(Announced(t));
            pm.Dispatch(SubEstablished(t));
            pm.Dispatch(SubClosed(t));
        }
        Assert.Equal(3, TestPluginRecorder.Count(N("plugin_one"), "new_connection"));
        Assert.Equal(2, TestPluginRecorder.Count(N("plugin_one"), "connection_established"));
        Assert.Equal(2, TestPluginRecorder.Count(N("plugin_one"), "new_subflow")); // the real backup bit (false), not mptcpd's "always true"
        Assert.Equal(1, TestPluginRecorder.Count(N("plugin_two"), "new_connection"));
        Assert.Equal(1, TestPluginRecorder.Count(N("plugin_two"), "new_address"));
        Assert.Equal(1, TestPluginRecorder.Count(N("plugin_two"), "subflow_closed"));
        Assert.Equal(4, pm.TrackedConnections);

        long before = TestPluginRecorder.Total(N("plugin_one")) + TestPluginRecorder.Total(N("plugin_two"));
        pm.Dispatch(Closed(0xFFFFFFFF));                         // a bad token reaches nobody
        pm.Dispatch(Established(0xFFFFFFFF));
        Assert.Equal(before, TestPluginRecorder.Total(N("plugin_one")) + TestPluginRecorder.Total(N("plugin_two")));
        Assert.Equal(2, pm.UnmatchedTokens);

        pm.Dispatch(Closed(0x34567890));                         // CLOSED prunes the token map
        Assert.Equal(3, pm.TrackedConnections);
        pm.Dispatch(Created(0x34567890));                        // a reused token goes to the plugin that takes the new connection
        pm.Dispatch(Established(0x34567890));
        Assert.Equal(3, TestPluginRecorder.Count(N("plugin_one"), "connection_established"));

        MptcpEventAttributes listener = new() { Type = MptcpEventType.ListenerCreated, Present = MptcpEventAttribute.SourceAddress4 | MptcpEventAttribute.SourcePort,
            Local = new MptcpAddress(IPAddress.Loopback, 5201) };
        pm.Dispatch(listener);
        Assert.Equal(1, TestPluginRecorder.Count(N("plugin_one"), "listener_created"));
        pm.Dispatch(Created(0x56789012) with { Present = MptcpEventAttribute.Token }); // required attributes missing: dropped
        Assert.Equal(1, pm.DroppedEvents);
        Assert.Contains("Error: Required MPTCP_EVENT_CREATED message attributes are missing.", _log.Lines);
    }

    [Fact]
    public void Empty_operations_register_and_every_dispatch_is_a_no_op()
    {
        string dir = Dir();
        PluginCompiler.Compile(dir, "null.dll", PluginCompiler.PluginSource(N("null_ops"), 0, emptyOps: true));
        using PathManager pm = Detached(dir);
        Assert.True(pm.LoadPlugins());
        pm.Dispatch(Created(1));
        pm.Dispatch(SubEstablished(1));
        pm.Dispatch(Closed(1));
        Assert.Equal(0, pm.TrackedConnections);
        Assert.Empty(_log.Errors);
    }

    [Fact]
    public void Broken_plugins_are_skipped_and_alone_they_fail_the_load()
    {
        string dir = Dir();
        PluginCompiler.Compile(dir, "no_name.dll", PluginCompiler.PluginSource("", 0));
        PluginCompiler.Compile(dir, "no_symbol.dll", "public sealed class NotAPlugin { }");
        PluginCompiler.Compile(dir, "failed_init.dll", PluginCompiler.PluginSource(N("failed_init"), 0, register: false, result: false));
        PluginCompiler.Compile(dir, "two_plugins.dll", PluginCompiler.PluginSource(N("a"), 0) + PluginCompiler.PluginSource(N("b"), 0));
        File.WriteAllText(Path.Combine(dir, "garbage.dll"), "not an assembly");
        File.CreateSymbolicLink(Path.Combine(dir, "link.dll"), Path.Combine(dir, "failed_init.dll"));
        using PathManager pm = Detached(dir);
        Assert.False(pm.LoadPlugins());
        Assert.Contains($"Error: No plugin name specified in {dir}/no_name.dll", _log.Lines);
        Assert.Contains(_log.Lines, l => l.StartsWith($"Error: {dir}/no_symbol.dll: no plugin found", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.StartsWith($"Error: {dir}/two_plugins.dll: more than one plugin", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.StartsWith($"Error: {dir}/garbage.dll:", StringComparison.Ordinal));
        Assert.Contains($"Warning: Plugin \"{N("failed_init")}\" failed to initialize", _log.Lines);
        Assert.Single(pm.Plugins); // the symlink was not loaded: failed_init only once
        pm.Dispose();
        Assert.Contains(N("failed_init"), TestPluginRecorder.Exits); // a failed init still gets its exit, as in mptcpd
    }

    [Fact]
    public void A_duplicate_name_is_refused()
    {
        string dir = Dir();
        PluginCompiler.Compile(dir, "a.dll", PluginCompiler.PluginSource(N("same"), 0));
        PluginCompiler.Compile(dir, "b.dll", PluginCompiler.PluginSource(N("same"), 0));
        using PathManager pm = Detached(dir);
        Assert.True(pm.LoadPlugins());
        Assert.Equal([N("same")], pm.RegisteredPlugins);
        Assert.Contains(_log.Lines, l => l.StartsWith("Warning: Plugin operations named", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (string d in _dirs)
        {
            try
            {
                Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
