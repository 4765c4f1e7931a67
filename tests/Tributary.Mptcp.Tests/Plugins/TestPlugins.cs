using System.Collections.Concurrent;
using System.Net;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tributary.Links;

namespace Tributary.Mptcp.Tests.Plugins;

/// <summary>
/// What the compiled test plugins call back into (they reference this assembly, which the plugin load
/// context takes from the default context): registration and per-operation call counts, keyed by plugin name.
/// </summary>
public static class TestPluginRecorder
{
    private static readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> s_calls = new();
    private static readonly ConcurrentQueue<string> s_exits = new();

    public static IReadOnlyList<string> Exits => [.. s_exits];

    public static int Count(string plugin, string op) =>
        s_calls.TryGetValue(plugin, out var ops) && ops.TryGetValue(op, out int n) ? n : 0;

    public static int Total(string plugin) => s_calls.TryGetValue(plugin, out var ops) ? ops.Values.Sum() : 0;

    internal static void Record(string plugin, string op) => s_calls.GetOrAdd(plugin, _ => new()).AddOrUpdate(op, 1, (_, n) => n + 1);

    /// <summary>Called from a plugin's Initialize: registers recording ops (or empty ones) unless told not to.</summary>
    public static bool Initialize(string name, PathManager pm, bool register, bool emptyOps, bool result)
    {
        ArgumentNullException.ThrowIfNull(pm);
        if (register)
            pm.RegisterOps(name, emptyOps ? new EmptyOps() : new RecordingOps(name));
        return result;
    }

    public static void Exit(string name) => s_exits.Enqueue(name);

    private sealed class EmptyOps : IMptcpPluginOps
    {
    }
}

/// <summary>Plugin operations that count each call under the plugin's name.</summary>
public sealed class RecordingOps(string name) : IMptcpPluginOps
{
    public void NewConnection(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm) => TestPluginRecorder.Record(name, "new_connection");

    public void ConnectionEstablished(uint token, MptcpAddress local, MptcpAddress remote, bool serverSide, bool denyJoinId0, PathManager pm) => TestPluginRecorder.Record(name, "connection_established");

    public void ConnectionClosed(uint token, PathManager pm) => TestPluginRecorder.Record(name, "connection_closed");

    public void NewAddress(uint token, byte remoteId, MptcpAddress address, PathManager pm) => TestPluginRecorder.Record(name, "new_address");

    public void AddressRemoved(uint token, byte remoteId, PathManager pm) => TestPluginRecorder.Record(name, "address_removed");

    public void NewSubflow(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm) => TestPluginRecorder.Record(name, backup ? "new_subflow_backup" : "new_subflow");

    public void SubflowClosed(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm) => TestPluginRecorder.Record(name, "subflow_closed");

    public void SubflowPriority(uint token, MptcpAddress local, MptcpAddress remote, bool backup, PathManager pm) => TestPluginRecorder.Record(name, "subflow_priority");

    public void ListenerCreated(MptcpAddress local, PathManager pm) => TestPluginRecorder.Record(name, "listener_created");

    public void ListenerClosed(MptcpAddress local, PathManager pm) => TestPluginRecorder.Record(name, "listener_closed");

    public void NewInterface(InterfaceInfo info, PathManager pm) => TestPluginRecorder.Record(name, "new_interface");

    public void UpdateInterface(InterfaceInfo info, PathManager pm) => TestPluginRecorder.Record(name, "update_interface");

    public void DeleteInterface(InterfaceInfo info, PathManager pm) => TestPluginRecorder.Record(name, "delete_interface");

    public void NewLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm) => TestPluginRecorder.Record(name, "new_local_address");

    public void DeleteLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm) => TestPluginRecorder.Record(name, "delete_local_address");
}

/// <summary>Compiles plugin sources into assemblies on disk with Roslyn (the loader then reads real .dll files).</summary>
internal static class PluginCompiler
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    /// <summary>A standard test plugin (name, priority, what Initialize does).</summary>
    public static string PluginSource(string name, int priority, bool register = true, bool emptyOps = false, bool result = true, string? className = null) => $$"""
        public sealed class {{className ?? "P" + Guid.NewGuid().ToString("N")}} : Tributary.Mptcp.MptcpPlugin
        {
            public override string Name => "{{name}}";
            public override int Priority => {{priority}};
            public override bool Initialize(Tributary.Mptcp.PathManager pm) =>
                Tributary.Mptcp.Tests.Plugins.TestPluginRecorder.Initialize("{{name}}", pm, {{(register ? "true" : "false")}}, {{(emptyOps ? "true" : "false")}}, {{(result ? "true" : "false")}});
            public override void Exit(Tributary.Mptcp.PathManager pm) => Tributary.Mptcp.Tests.Plugins.TestPluginRecorder.Exit("{{name}}");
        }
        """;

    public static void Compile(string directory, string fileName, string source)
    {
        string assemblyName = Path.GetFileNameWithoutExtension(fileName) + "_" + Guid.NewGuid().ToString("N")[..8];
        CSharpCompilation c = CSharpCompilation.Create(assemblyName, [CSharpSyntaxTree.ParseText(source)], s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using FileStream f = File.Create(Path.Combine(directory, fileName));
        var result = c.Emit(f);
        if (!result.Success)
            throw new InvalidOperationException("plugin does not compile: " + string.Join("; ", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
    }

    /// <summary>A fresh directory with the given mode.</summary>
    public static string NewDirectory(UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)
    {
        string dir = Path.Combine(Path.GetTempPath(), "trib-mptcp-plugins-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, mode);
        return dir;
    }
}
