using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Flows.Applications.Nat;

/// <summary>
/// Source NAT on an inline box (mOS samples/nat, SAMPLES.md §3): every TCP connection leaves with the NAT address and
/// a port of its own from 1025..65534 (<see cref="FirstPort"/>..<see cref="LastPort"/>, first free first), and the
/// replies are translated back to the original client. Both sides are rewritten at <see cref="HookPoint.Send"/>: a
/// client→server packet gets the NAT address and the flow's port as its source, a server→client packet the original
/// client's address and port as its destination, with the IPv4 header and TCP checksums updated. The first SYN is
/// rewritten before the engine creates the flow's server side, so that side is keyed by the translated tuple and the
/// server's replies to NAT address:port find the flow (INVENTORY §3 step 11.2). The port is kept in the flow socket's
/// <see cref="MonitorSocket.UserContext"/> and returned to the pool at ConnectionEnd, once per flow although that event
/// comes once per side; a flow that never closes keeps its port until the idle timeout ends it.
/// </summary>
/// <remarks>
/// As in mOS: IPv4 only, TCP only (no UDP or ICMP translation), no hairpinning, and a connection started from either
/// interface is translated (the box does not know an inside). IPv6 flows pass untranslated, as mOS forwards what it
/// does not parse; they are counted in <see cref="UntranslatedFlows"/>. IPv4 TCP packets without a flow (orphans: a
/// segment after its flow ended, a connection older than the NAT) are dropped and counted in
/// <see cref="DroppedOrphans"/>: forwarded untouched, as mOS does, they would carry the inside address out. With
/// MosCompat they pass as in mOS. A packet that cannot
/// be translated (no free port, a reply of a flow that got none) is dropped and counted, never sent with the client's
/// own address. A segment with a bad checksum reaches no callback (S27) and is forwarded as it came, for its receiver
/// to discard. With <see cref="MonitorContextOptions.MosCompat"/>, a first SYN dropped for want of a port leaves its
/// flow half-open under the untranslated tuple (DEVIATIONS B30), so that connection fails until the idle timeout,
/// as in mOS. Unlike mOS there is one pool per context and no per-core port selection (<c>GetRSSCPUCore</c>): one
/// context sees both directions of every flow. Not thread-safe: use it from the context's thread.
/// </remarks>
public sealed class SourceNat
{
    public const ushort FirstPort = 1025;
    public const ushort LastPort = 65534;

    /// <summary>Marks an IPv6 flow, which is forwarded untranslated (counted once).</summary>
    private static readonly object Untranslated = new();

    private readonly NatPortPool _pool;
    private readonly byte[] _address;

    /// <summary>Translates the TCP flows of <paramref name="context"/> (inline: Forward on) to <paramref name="address"/>.</summary>
    public SourceNat(MonitorContext context, IPAddress address)
        : this(context, address, FirstPort, LastPort)
    {
    }

    /// <summary>With a port range of its own (tests exhaust a small pool).</summary>
    internal SourceNat(MonitorContext context, IPAddress address, ushort firstPort, ushort lastPort)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"the NAT address must be IPv4 (got {address})", nameof(address));
        if (!context.Options.Forward)
            throw new ArgumentException("NAT rewrites forwarded packets: the context needs Forward = true", nameof(context));
        Address = address;
        _address = address.GetAddressBytes();
        _pool = new NatPortPool(firstPort, lastPort);
        MonitorSocket listener = context.CreateStreamListener();
        if (!context.Options.MosCompat)
            listener.DisableBuffer(Side.Both); // headers only: no reassembly needed (MosCompat keeps mOS's buffers, B17)
        listener.RegisterCallback(MonitorEvent.PacketIn, HookPoint.Send, Translate);
        listener.RegisterCallback(MonitorEvent.ConnectionEnd, HookPoint.Send, Release);
        if (!context.Options.MosCompat)
            listener.RegisterCallback(MonitorEvent.Orphan, HookPoint.Null, DropOrphan);
    }

    /// <summary>The address translated flows leave with.</summary>
    public IPAddress Address { get; }

    /// <summary>Flows that got a port.</summary>
    public long TranslatedFlows { get; private set; }

    /// <summary>Ports held by flows now.</summary>
    public int PortsInUse => _pool.InUse;

    /// <summary>Ports in the pool.</summary>
    public int PortCapacity => _pool.Capacity;

    /// <summary>Packets dropped because they could not be translated (includes <see cref="PoolExhausted"/>).</summary>
    public long DroppedPackets { get; private set; }

    /// <summary>Packets that found no free port (each dropped; the client's retransmitted SYN asks again).</summary>
    public long PoolExhausted { get; private set; }

    /// <summary>IPv4 TCP packets without a flow, dropped rather than sent out untranslated.</summary>
    public long DroppedOrphans { get; private set; }

    /// <summary>IPv6 flows forwarded without translation.</summary>
    public long UntranslatedFlows { get; private set; }

    private void Translate(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (!context.TryGetLastPacket(out PacketView packet) || !packet.HasTcpHeader)
            return;
        if (packet.IpVersion != 4)
        {
            if (socket.UserContext is null)
            {
                socket.UserContext = Untranslated;
                UntranslatedFlows++;
            }
            return;
        }
        if (socket.UserContext is not NatBinding binding)
        {
            // The first packet of a flow is the client's SYN; a reply of a flow without a port has nowhere to go.
            if (side != Side.Client)
            {
                Drop(context);
                return;
            }
            if (!_pool.TryTake(out ushort port))
            {
                PoolExhausted++;
                Drop(context);
                return;
            }
            binding = new NatBinding(port);
            socket.UserContext = binding;
            TranslatedFlows++;
        }
        Span<byte> portBytes = stackalloc byte[2];
        MonitorError error;
        if (side == Side.Client)
        {
            // SNAT: IPv4 source (offset 12) and TCP source port (offset 0).
            BinaryPrimitives.WriteUInt16BigEndian(portBytes, binding.Port);
            error = context.OverwritePacket(PacketLayer.Ip, 12, _address, updateIpChecksum: true, updateTcpChecksum: false);
            if (error == MonitorError.None)
                error = context.OverwritePacket(PacketLayer.Tcp, 0, portBytes, updateIpChecksum: false, updateTcpChecksum: true);
        }
        else
        {
            // DNAT back: IPv4 destination (offset 16) and TCP destination port (offset 2) from the pre-NAT client side.
            error = socket.TryGetPeerNames(out FlowEndpoint client, out _);
            if (error == MonitorError.None)
            {
                Span<byte> clientAddress = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(clientAddress, (uint)client.Address);
                BinaryPrimitives.WriteUInt16BigEndian(portBytes, client.Port);
                error = context.OverwritePacket(PacketLayer.Ip, 16, clientAddress, updateIpChecksum: true, updateTcpChecksum: false);
                if (error == MonitorError.None)
                    error = context.OverwritePacket(PacketLayer.Tcp, 2, portBytes, updateIpChecksum: false, updateTcpChecksum: true);
            }
        }
        if (error != MonitorError.None)
            Drop(context); // half-rewritten or not at all: never let it out with the wrong addresses
    }

    private void DropOrphan(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        if (!context.TryGetLastPacket(out PacketView packet) || packet.IpVersion != 4)
            return;
        DroppedOrphans++;
        context.DropPacket();
    }

    private void Drop(MonitorContext context)
    {
        DroppedPackets++;
        context.DropPacket();
    }

    private void Release(MonitorContext context, MonitorSocket socket, Side side, MonitorEvent monitorEvent)
    {
        // ConnectionEnd comes once per side: the first returns the port, the second finds nothing.
        if (socket.UserContext is NatBinding binding)
            _pool.Release(binding.Port);
        socket.UserContext = null;
    }
}
