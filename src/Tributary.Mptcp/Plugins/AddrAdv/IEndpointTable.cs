namespace Tributary.Mptcp.Internal;

/// <summary>The in-kernel PM commands the address advertiser needs; the kernel client in production, a model in unit tests.</summary>
internal interface IEndpointTable
{
    IReadOnlyList<MptcpEndpoint> Dump();

    void Add(MptcpEndpoint endpoint);

    void Remove(byte id);

    MptcpLimits GetLimits();

    void SetLimits(MptcpLimits limits);
}

/// <summary>The real table: <see cref="MptcpPmClient"/>.</summary>
internal sealed class KernelEndpointTable(MptcpPmClient client) : IEndpointTable
{
    public IReadOnlyList<MptcpEndpoint> Dump() => client.DumpEndpoints();

    public void Add(MptcpEndpoint endpoint) => client.AddEndpoint(endpoint);

    public void Remove(byte id) => client.RemoveEndpoint(id);

    public MptcpLimits GetLimits() => client.GetLimits();

    public void SetLimits(MptcpLimits limits) => client.SetLimits(limits);
}
