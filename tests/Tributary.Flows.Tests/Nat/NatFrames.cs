using System.Buffers.Binary;
using System.Net;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Nat;

/// <summary>
/// Reads back the Ethernet/IPv4/TCP frames a NAT forwarded, checking both checksums with a sum of its own (not the
/// engine's <c>Checksum</c>), so a rewrite that forgets a checksum cannot pass by agreeing with itself.
/// </summary>
internal static class NatFrames
{
    public sealed record Segment(string Source, ushort SourcePort, string Destination, ushort DestinationPort, byte Flags, uint Sequence, uint Acknowledgment,
        bool IpChecksumValid, bool TcpChecksumValid)
    {
        public string From => $"{Source}:{SourcePort}";
        public string To => $"{Destination}:{DestinationPort}";
    }

    public static Segment Read(byte[] frame)
    {
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        ReadOnlySpan<byte> ip = frame.AsSpan(14);
        int ihl = (ip[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        Assert.Equal(6, ip[9]);
        ReadOnlySpan<byte> tcp = ip[ihl..total];
        uint pseudo = Frames.Sum(ip.Slice(12, 8)) + 6 + (uint)tcp.Length;
        return new Segment(
            new IPAddress(ip.Slice(12, 4)).ToString(), BinaryPrimitives.ReadUInt16BigEndian(tcp),
            new IPAddress(ip.Slice(16, 4)).ToString(), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            tcp[13], BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            Frames.Fold(Frames.Sum(ip[..ihl])) == 0xFFFF, Frames.Fold(Frames.Sum(tcp, pseudo)) == 0xFFFF);
    }
}
