using Tributary.Mptcp.Internal;
using Tributary.Netlink;

namespace Tributary.Mptcp.Tests.Plugins;

/// <summary>
/// A model of the kernel's in-kernel PM table with the kernel's refusals (checked against the real
/// kernel in PmClientKernelTests): EBUSY for a used id, EEXIST for a used address, ERANGE past eight
/// endpoints, EINVAL for limits above eight and for removing an unknown id.
/// </summary>
internal sealed class FakeEndpointTable : IEndpointTable
{
    public Dictionary<byte, MptcpEndpoint> Endpoints { get; } = [];

    public MptcpLimits Limits { get; set; } = new(2, 0);

    public int Adds { get; private set; }

    public int Removes { get; private set; }

    public int LimitChanges { get; private set; }

    public IReadOnlyList<MptcpEndpoint> Dump() => Endpoints.Values.OrderBy(e => e.Id).ToList();

    public void Add(MptcpEndpoint endpoint)
    {
        if (Endpoints.ContainsKey(endpoint.Id))
            throw new NetlinkException(16, "too many addresses or duplicate one", "add_addr");
        if (Endpoints.Values.Any(e => e.Address.Equals(endpoint.Address)))
            throw new NetlinkException(17, "too many addresses or duplicate one", "add_addr");
        if (Endpoints.Count >= 8)
            throw new NetlinkException(34, "too many addresses or duplicate one", "add_addr");
        Adds++;
        Endpoints[endpoint.Id] = endpoint;
    }

    public void Remove(byte id)
    {
        if (!Endpoints.Remove(id))
            throw new NetlinkException(22, "address not found", "remove_addr");
        Removes++;
    }

    public MptcpLimits GetLimits() => Limits;

    public void SetLimits(MptcpLimits limits)
    {
        if (limits.Subflows > 8 || limits.AddAddrAccepted > 8)
            throw new NetlinkException(22, "limit greater than maximum", "set_limits");
        LimitChanges++;
        Limits = limits;
    }
}
