using System.Buffers.Binary;
using System.Net;
using Tributary.Capture.Decoding;

namespace Tributary.Capture.Tests;

/// <summary>Builds test packets (headers with correct lengths and checksums) for decoder and reassembly tests.</summary>
public static class PacketBuilder
{
    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, byte[] payload, byte[]? options = null)
    {
        options ??= [];
        int header = 20 + options.Length;
        var b = new byte[header + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ack);
        b[12] = (byte)(header / 4 << 4);
        b[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), 65535);
        options.CopyTo(b, 20);
        payload.CopyTo(b, header);
        return b;
    }

    public static byte[] Udp(ushort sport, ushort dport, byte[] payload)
    {
        var b = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)b.Length);
        payload.CopyTo(b, 8);
        return b;
    }

    /// <summary>An IPv4 datagram with correct header and transport checksums.</summary>
    public static byte[] IPv4(string src, string dst, byte protocol, byte[] transport, ushort id = 1, ushort fragmentField = 0, byte[]? options = null)
    {
        options ??= [];
        int ihl = 20 + options.Length;
        var b = new byte[ihl + transport.Length];
        b[0] = (byte)(0x40 | ihl / 4);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), fragmentField);
        b[8] = 64;
        b[9] = protocol;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(b, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(b, 16);
        options.CopyTo(b, 20);
        transport.CopyTo(b, ihl);
        FixChecksums(b);
        return b;
    }

    public static byte[] IPv6(string src, string dst, byte nextHeader, byte[] payload, byte[]? extensions = null)
    {
        extensions ??= [];
        var b = new byte[40 + extensions.Length + payload.Length];
        b[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(extensions.Length + payload.Length));
        b[6] = nextHeader;
        b[7] = 64;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(b, 8);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(b, 24);
        extensions.CopyTo(b, 40);
        payload.CopyTo(b, 40 + extensions.Length);
        FixChecksums(b);
        return b;
    }

    /// <summary>Computes transport checksums (and the IPv4 header checksum) of a whole datagram.</summary>
    public static void FixChecksums(byte[] datagram)
    {
        PacketDecoder.DecodeIp(datagram, out DecodedPacket d);
        if (!d.IsFragment)
            Checksums.UpdateTransport(datagram, d);
        if (d.IpVersion == 4)
            Checksums.UpdateIPv4Header(datagram, d);
    }

    /// <summary>The transport segment (checksummed as one datagram) cut into IPv4 fragments of at most <paramref name="size"/> data bytes.</summary>
    public static List<byte[]> IPv4Fragments(string src, string dst, byte protocol, byte[] transport, int size, ushort id)
    {
        byte[] whole = IPv4(src, dst, protocol, transport, id);
        byte[] data = whole[20..];
        var list = new List<byte[]>();
        for (int off = 0; off < data.Length; off += size)
        {
            int n = Math.Min(size, data.Length - off);
            bool more = off + n < data.Length;
            var b = new byte[20 + n];
            whole.AsSpan(0, 20).CopyTo(b);
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), (ushort)((more ? 0x2000 : 0) | off / 8));
            data.AsSpan(off, n).CopyTo(b.AsSpan(20));
            PacketDecoder.DecodeIp(b, out DecodedPacket d);
            Checksums.UpdateIPv4Header(b, d);
            list.Add(b);
        }
        return list;
    }

    /// <summary>IPv6 fragments (RFC 8200 §4.5), optionally with a hop-by-hop header in the unfragmentable part.</summary>
    public static List<byte[]> IPv6Fragments(string src, string dst, byte protocol, byte[] transport, int size, uint id, bool withHopByHop)
    {
        byte[] hbh = withHopByHop ? [44, 0, 1, 4, 0, 0, 0, 0] : [];   // next = fragment, PadN
        byte[] whole = IPv6(src, dst, protocol, transport);
        byte[] data = whole[40..];
        var list = new List<byte[]>();
        for (int off = 0; off < data.Length; off += size)
        {
            int n = Math.Min(size, data.Length - off);
            bool more = off + n < data.Length;
            var frag = new byte[8];
            frag[0] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(frag.AsSpan(2), (ushort)(off | (more ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(frag.AsSpan(4), id);
            byte[] ext = [.. hbh, .. frag];
            var b = new byte[40 + ext.Length + n];
            whole.AsSpan(0, 40).CopyTo(b);
            b[6] = withHopByHop ? (byte)0 : (byte)44;
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(ext.Length + n));
            ext.CopyTo(b, 40);
            data.AsSpan(off, n).CopyTo(b.AsSpan(40 + ext.Length));
            list.Add(b);
        }
        return list;
    }

    public static byte[] Ethernet(ushort etherType, byte[] payload, params ushort[] vlanTags)
    {
        var b = new List<byte>();
        b.AddRange([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
        foreach (ushort tpid in vlanTags)
        {
            b.Add((byte)(tpid >> 8));
            b.Add((byte)tpid);
            b.AddRange([0x00, 0x64]);     // VID 100
        }
        b.Add((byte)(etherType >> 8));
        b.Add((byte)etherType);
        b.AddRange(payload);
        return [.. b];
    }
}
