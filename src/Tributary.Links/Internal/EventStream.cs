using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Tributary.Links.Internal;

/// <summary>
/// A subscriber that turns callbacks into immutable events on an unbounded channel, so a slow
/// reader loses nothing (it costs memory instead).
/// </summary>
internal sealed class EventStream : INetworkMonitorOps
{
    private readonly Channel<NetworkMonitorEvent> _channel =
        Channel.CreateUnbounded<NetworkMonitorEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public void Complete() => _channel.Writer.TryComplete();

    public async IAsyncEnumerable<NetworkMonitorEvent> ReadAllAsync(IDisposable registration,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (NetworkMonitorEvent e in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return e;
        }
        finally
        {
            registration.Dispose();
            Complete();
        }
    }

    void INetworkMonitorOps.NewInterface(InterfaceInfo i, object? userData) =>
        _channel.Writer.TryWrite(new InterfaceAdded(i.Index, i.Name, i.Flags, i.Type));

    void INetworkMonitorOps.UpdateInterface(InterfaceInfo i, object? userData) =>
        _channel.Writer.TryWrite(new InterfaceUpdated(i.Index, i.Name, i.Flags, i.Type));

    void INetworkMonitorOps.DeleteInterface(InterfaceInfo i, object? userData) =>
        _channel.Writer.TryWrite(new InterfaceRemoved(i.Index, i.Name, i.Flags, i.Type));

    void INetworkMonitorOps.NewAddress(InterfaceInfo i, IPAddress address, AddressFlags flags, object? userData) =>
        _channel.Writer.TryWrite(new AddressAdded(i.Index, i.Name, i.Flags, i.Type, address) { AddressFlags = flags });

    void INetworkMonitorOps.DeleteAddress(InterfaceInfo i, IPAddress address, AddressFlags flags, object? userData) =>
        _channel.Writer.TryWrite(new AddressRemoved(i.Index, i.Name, i.Flags, i.Type, address) { AddressFlags = flags });
}
