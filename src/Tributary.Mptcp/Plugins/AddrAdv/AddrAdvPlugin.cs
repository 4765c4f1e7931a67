using System.Net;
using Microsoft.Extensions.Logging;
using Tributary.Links;
using Tributary.Mptcp.Internal;

namespace Tributary.Mptcp;

/// <summary>
/// The built-in "addr_adv" plugin (INVENTORY e.1): an in-kernel path-manager endpoint for each local
/// address the network monitor reports, with the configured addr-flags and the address's interface,
/// and the kernel limits to match. Unlike mptcpd's, it keeps the kernel's table equal to the desired
/// set (<see cref="EndpointReconciler"/>): first eight addresses in order of appearance, endpoints
/// removed on link down and address removal, stale endpoints of vanished addresses removed at start,
/// no duplicate ADD_ADDR, administrator limits kept as a floor, and optionally everything it added
/// removed at exit. Extensions: only the addresses of the interfaces the path manager uses
/// (<see cref="PathManager.UsesInterface"/>: <c>--interfaces</c>, <c>--exclude-interfaces</c>) become
/// endpoints, with their interface's flags (<see cref="PathManager.EndpointFlagsFor"/>: <c>--interface-flags</c>)
/// instead of addr-flags where one is configured.
/// </summary>
public sealed class AddrAdvPlugin : MptcpPlugin, IMptcpPluginOps
{
    private EndpointReconciler? _reconciler;

    public override string Name => "addr_adv";

    public override string Description => "MPTCP address advertiser path manager";

    internal EndpointReconciler? Reconciler => _reconciler;

    public override bool Initialize(PathManager pathManager)
    {
        ArgumentNullException.ThrowIfNull(pathManager);
        if ((pathManager.AddressFlags & (MptcpEndpointFlags.Signal | MptcpEndpointFlags.Fullmesh)) == (MptcpEndpointFlags.Signal | MptcpEndpointFlags.Fullmesh))
            pathManager.Logger.LogWarning("addr-flags: the kernel refuses endpoints that are both signal and fullmesh.");
        foreach (InterfaceEndpointFlags f in pathManager.Options.InterfaceFlags)
        {
            if ((f.Flags & (MptcpEndpointFlags.Signal | MptcpEndpointFlags.Fullmesh)) == (MptcpEndpointFlags.Signal | MptcpEndpointFlags.Fullmesh))
                pathManager.Logger.LogWarning("interface-flags {Entry}: the kernel refuses endpoints that are both signal and fullmesh.", f);
        }
        _reconciler = new EndpointReconciler(new KernelEndpointTable(pathManager.Commands), pathManager.Ids, pathManager.AddressFlags,
            pathManager.Logger, () => pathManager.Monitor?.ResyncCount ?? 0);
        pathManager.Ready += OnReady;
        if (!pathManager.RegisterOps(Name, this))
            return false;
        pathManager.Logger.LogInformation("MPTCP address advertiser path manager initialized.");
        return true;
    }

    private void OnReady(PathManager pm)
    {
        // Addresses of interfaces not in use are not present for adoption, so their endpoints go.
        var present = new Dictionary<MptcpAddress, int>();
        var flags = new Dictionary<int, MptcpEndpointFlags>();
        foreach (LocalInterface i in pm.Interfaces)
        {
            if (!pm.UsesInterface(i.Name))
                continue;
            flags[i.Index] = pm.EndpointFlagsFor(i.Name);
            foreach (IPAddress a in i.Addresses)
                present.TryAdd(new MptcpAddress(a), i.Index);
        }
        _reconciler!.Start(present, interfaceFlags: flags);
    }

    public void NewLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(pm);
        if (!pm.UsesInterface(info.Name))
        {
            pm.Logger.LogDebug("addr_adv: {Address} on {Interface} ignored (interface not in use)", address, info.Name);
            return;
        }
        _reconciler?.AddressAppeared(info.Index, address, pm.EndpointFlagsFor(info.Name));
    }

    public void DeleteLocalAddress(InterfaceInfo info, IPAddress address, PathManager pm) => _reconciler?.AddressRemoved(address);

    public void DeleteInterface(InterfaceInfo info, PathManager pm) => _reconciler?.InterfaceRemoved(info.Index);

    public override void Exit(PathManager pathManager)
    {
        ArgumentNullException.ThrowIfNull(pathManager);
        _reconciler?.Stop(pathManager.Options.RemoveEndpointsOnExit);
        _reconciler?.Dispose();
        pathManager.Logger.LogInformation("MPTCP address advertiser path manager exited.");
    }
}
