namespace Tributary.Mptcp;

/// <summary>
/// A path-manager plugin (mptcpd's <c>MPTCPD_PLUGIN_DEFINE</c> descriptor, INVENTORY c.1): a name, a
/// description, a priority and init/exit hooks. The built-in plugins are <c>addr_adv</c> and <c>sspi</c>;
/// others are .NET assemblies in the plugin directory, each holding exactly one public non-abstract
/// subclass with a parameterless constructor. All plugins are loaded first, then initialised in
/// priority order (lower is more favoured, ties by load order); <see cref="Initialize"/> registers the
/// plugin's operations with <see cref="PathManager.RegisterOps"/>. Exits run in reverse order.
/// </summary>
public abstract class MptcpPlugin
{
    /// <summary>The plugin's name, used by <c>path-manager</c> (and, for built-ins, by <c>load-plugins</c>).</summary>
    public abstract string Name { get; }

    public virtual string Description => Name;

    /// <summary>See <see cref="PluginPriority"/>: lower values are favoured when choosing the default path manager.</summary>
    public virtual int Priority => PluginPriority.Default;

    /// <summary>
    /// Called once after every plugin is loaded. Register operations with <see cref="PathManager.RegisterOps"/>.
    /// Returning false is logged as a failed initialisation; the plugin stays loaded and its
    /// <see cref="Exit"/> still runs, as in mptcpd.
    /// </summary>
    public abstract bool Initialize(PathManager pathManager);

    /// <summary>Called once at shutdown, in reverse initialisation order.</summary>
    public virtual void Exit(PathManager pathManager)
    {
    }
}
