using System.Globalization;
using Tributary.Capture.Decoding;

namespace Tributary.Capture.Tests.Corpus;

/// <summary>
/// What the cross-check compares per packet, filled either from tshark's fields or from our decoder.
/// Transport fields are set only when a TCP/UDP header sits right in the outermost IP datagram
/// (not in ICMP errors or tunnels, not in later fragments).
/// </summary>
public sealed record PacketRow
{
    public long Number { get; init; }
    public int Length { get; init; }
    public int CapturedLength { get; init; }
    public long TimestampNs { get; init; }
    public int InterfaceId { get; init; }
    public int IpVersion { get; init; }
    public string? Source { get; init; }
    public string? Destination { get; init; }
    public bool Fragment { get; init; }
    public string? Transport { get; init; }     // "tcp", "udp" or null
    public int SourcePort { get; init; }
    public int DestinationPort { get; init; }
    public uint Sequence { get; init; }
    public uint Acknowledgment { get; init; }
    public int Flags { get; init; }
    public int? TcpHeaderLength { get; init; }
    public int? PayloadLength { get; init; }    // tcp.len / udp.length - 8; null when tshark does not say

    public static readonly string[] TsharkFields =
    [
        "frame.number", "frame.len", "frame.cap_len", "frame.time_epoch", "frame.interface_id", "frame.protocols",
        "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
        "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.hdr_len", "tcp.len",
        "udp.srcport", "udp.dstport", "udp.length",
    ];

    /// <summary>Parses one line of <c>tshark -T fields -E occurrence=f</c> with <see cref="TsharkFields"/>.</summary>
    public static PacketRow FromTshark(string line)
    {
        string[] f = line.Split('\t');
        string[] chain = f[5].Split(':');
        int ipIndex = Array.FindIndex(chain, p => p is "ip" or "ipv6");
        int version = ipIndex < 0 ? 0 : chain[ipIndex] == "ip" ? 4 : 6;
        bool v4 = version == 4;
        bool fragment = v4 ? f[10] == "1" || (f[11] != "" && f[11] != "0")
            : version == 6 && ((f[12] != "" && f[12] != "0") || f[13] is "1" or "True");
        string? transport = null;
        if (ipIndex >= 0)
        {
            int next = ipIndex + 1;
            while (next < chain.Length && chain[next].StartsWith("ipv6.", StringComparison.Ordinal))
                next++;
            if (next < chain.Length && chain[next] is "tcp" or "udp")
                transport = chain[next];
        }
        var row = new PacketRow
        {
            Number = long.Parse(f[0], CultureInfo.InvariantCulture),
            Length = int.Parse(f[1], CultureInfo.InvariantCulture),
            CapturedLength = int.Parse(f[2], CultureInfo.InvariantCulture),
            TimestampNs = ParseEpoch(f[3]),
            InterfaceId = f[4] == "" ? 0 : int.Parse(f[4], CultureInfo.InvariantCulture),
            IpVersion = version,
            Source = version == 0 ? null : Canon(v4 ? f[6] : f[8]),
            Destination = version == 0 ? null : Canon(v4 ? f[7] : f[9]),
            Fragment = fragment,
        };
        if (transport == "tcp" && f[14] != "" && f[18] != "" && f[16] != "")
        {
            row = row with
            {
                Transport = "tcp",
                SourcePort = int.Parse(f[14], CultureInfo.InvariantCulture),
                DestinationPort = int.Parse(f[15], CultureInfo.InvariantCulture),
                Sequence = uint.Parse(f[16], CultureInfo.InvariantCulture),
                Acknowledgment = f[17] == "" ? 0 : uint.Parse(f[17], CultureInfo.InvariantCulture),
                Flags = Convert.ToInt32(f[18], 16) & 0x1FF,
                TcpHeaderLength = f[19] == "" ? null : int.Parse(f[19], CultureInfo.InvariantCulture),
                PayloadLength = f[20] == "" || fragment ? null : int.Parse(f[20], CultureInfo.InvariantCulture),
            };
        }
        else if (transport == "udp" && f[21] != "")
        {
            row = row with
            {
                Transport = "udp",
                SourcePort = int.Parse(f[21], CultureInfo.InvariantCulture),
                DestinationPort = int.Parse(f[22], CultureInfo.InvariantCulture),
                PayloadLength = f[23] == "" || fragment ? null : int.Parse(f[23], CultureInfo.InvariantCulture) - 8,
            };
        }
        return row;
    }

    /// <summary>Our view of a packet, by the same rules.</summary>
    public static PacketRow FromDecoder(in Packet packet)
    {
        PacketDecoder.Decode(packet, out DecodedPacket d);
        var row = new PacketRow
        {
            Number = packet.Number,
            Length = packet.OriginalLength,
            CapturedLength = packet.CapturedLength,
            TimestampNs = packet.TimestampNanoseconds,
            InterfaceId = packet.InterfaceId,
            IpVersion = d.IpVersion,
            Source = d.IpVersion == 0 ? null : d.Source.ToString(),
            Destination = d.IpVersion == 0 ? null : d.Destination.ToString(),
            Fragment = d.IsFragment,
        };
        if (d.IsTcp)
        {
            row = row with
            {
                Transport = "tcp",
                SourcePort = d.SourcePort,
                DestinationPort = d.DestinationPort,
                Sequence = d.Sequence,
                Acknowledgment = d.Acknowledgment,
                Flags = (int)d.TcpFlags,
                TcpHeaderLength = d.TcpHeaderLength,
                PayloadLength = d.IsFragment ? null : d.PayloadLength,
            };
        }
        else if (d.IsUdp)
        {
            row = row with
            {
                Transport = "udp",
                SourcePort = d.SourcePort,
                DestinationPort = d.DestinationPort,
                PayloadLength = d.IsFragment ? null : d.PayloadLength,
            };
        }
        return row;
    }

    private static string Canon(string address) => System.Net.IPAddress.Parse(address).ToString();

    private static long ParseEpoch(string text)
    {
        // "1361916274.458646000": seconds and a 9-digit fraction.
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
            return long.Parse(text, CultureInfo.InvariantCulture) * 1_000_000_000L;
        string frac = text[(dot + 1)..].PadRight(9, '0')[..9];
        return long.Parse(text[..dot], CultureInfo.InvariantCulture) * 1_000_000_000L + long.Parse(frac, CultureInfo.InvariantCulture);
    }
}
