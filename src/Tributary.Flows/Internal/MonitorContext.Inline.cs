using System.Buffers.Binary;
using Tributary.Flows.Internal;

namespace Tributary.Flows;

/// <summary>Injecting packets (mOS <c>mtcp_sendpkt</c>, <c>mtcp_reset_conn</c>; INVENTORY §12, §15).</summary>
public sealed partial class MonitorContext
{
    /// <summary>
    /// Receives frames built by <see cref="SendPacket"/>; <c>alongCurrentPacket</c> tells whether the frame travels in
    /// the direction of the packet being processed (send it where that packet is forwarded) or back toward its sender.
    /// </summary>
    public InjectSink? InjectSink { get; set; }

    /// <summary>
    /// mOS <c>mtcp_sendpkt</c>: builds a TCP segment of <paramref name="socket"/>'s flow travelling toward
    /// <paramref name="toward"/> (addresses and ports from the flow, link header from the current packet) with the
    /// given sequence numbers, flags (mOS forces ACK; RST|ACK resets, as <c>mtcp_reset_conn</c>) and payload, with
    /// correct checksums, and hands it to <see cref="InjectSink"/>. Only inside a callback that has a packet.
    /// </summary>
    public unsafe MonitorError SendPacket(MonitorSocket socket, Side toward, byte tcpFlags, uint sequence, uint acknowledgment,
        ushort window, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!IsLiveFlowSocket(socket))
            return MonitorError.BadDescriptor;
        if (toward is not (Side.Client or Side.Server))
            return MonitorError.InvalidArgument;
        if (!_hasPacket || _packet.Status != DecodeStatus.Tcp)
            return MonitorError.AccessDenied;
        ref PacketContext p = ref _packet;
        ref FlowRecord f = ref _flows[socket.Flow];
        // Toward the server: the client side's key (client → server as on the wire); toward the client: the server side's.
        FlowKey key = toward == Side.Server ? f.ClientKey : f.ServerKey;
        bool along = (toward == Side.Server) == _currentFromClient;
        int l2 = p.L3Offset;
        int ipHeader = key.Version == 6 ? 40 : 20;
        int length = l2 + ipHeader + 20 + payload.Length;
        byte[] frame = new byte[length];
        new ReadOnlySpan<byte>(p.Frame, l2).CopyTo(frame);
        if (!along && p.LinkType == LinkTypes.Ethernet && l2 >= 12)
        {
            // Back toward the sender: swap the MAC addresses.
            new ReadOnlySpan<byte>(p.Frame + 6, 6).CopyTo(frame);
            new ReadOnlySpan<byte>(p.Frame, 6).CopyTo(frame.AsSpan(6));
        }
        Span<byte> ip = frame.AsSpan(l2);
        if (key.Version == 6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(20 + payload.Length));
            ip[6] = 6;
            ip[7] = 64;
            BinaryPrimitives.WriteUInt64BigEndian(ip[8..], key.SourceHigh);
            BinaryPrimitives.WriteUInt64BigEndian(ip[16..], key.SourceLow);
            BinaryPrimitives.WriteUInt64BigEndian(ip[24..], key.DestinationHigh);
            BinaryPrimitives.WriteUInt64BigEndian(ip[32..], key.DestinationLow);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + payload.Length));
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            BinaryPrimitives.WriteUInt32BigEndian(ip[12..], (uint)key.SourceLow);
            BinaryPrimitives.WriteUInt32BigEndian(ip[16..], (uint)key.DestinationLow);
        }
        Span<byte> tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, key.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], key.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = 0x50;
        tcp[13] = (byte)(tcpFlags | TcpFlags.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], window);
        payload.CopyTo(tcp[20..]);
        fixed (byte* fp = frame)
        {
            var q = new PacketContext { Frame = fp, FrameLength = length, LinkType = p.LinkType };
            FrameDecoder.Decode(ref q);
            if (q.Status != DecodeStatus.Tcp)
                return MonitorError.InvalidArgument;
            if (key.Version == 4)
                Checksum.UpdateIPv4Header(fp + l2, 20);
            Checksum.UpdateTransport(ref q);
        }
        InjectSink?.Invoke(frame, p.LinkType, along);
        return MonitorError.None;
    }
}

/// <summary>Receives an injected frame (see <see cref="MonitorContext.SendPacket"/>).</summary>
public delegate void InjectSink(ReadOnlySpan<byte> frame, int linkType, bool alongCurrentPacket);
