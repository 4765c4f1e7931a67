using Tributary.Capture.Decoding;
using Tributary.Capture.Filters;

namespace Tributary.Capture;

/// <summary>
/// Whole-capture counts, as <c>tributary capture stats</c> prints them (capinfos-like). Every count
/// is over all packets read, except <see cref="Matched"/>:
/// <list type="bullet">
/// <item><see cref="Packets"/>: records read.</item>
/// <item><see cref="Bytes"/>: sum of original (wire) lengths, as capinfos' "Data size".</item>
/// <item><see cref="Matched"/>: packets the filter accepts (all packets without a filter).</item>
/// <item><see cref="IPv4"/> / <see cref="IPv6"/>: packets whose outermost network header is a valid IPv4 / IPv6 header.</item>
/// <item><see cref="Tcp"/> / <see cref="Udp"/>: packets carrying a TCP / UDP header right in that IP datagram
///   (unfragmented, or the first fragment); later fragments, tunnels and ICMP-quoted headers do not count.</item>
/// <item><see cref="Fragments"/>: IPv4/IPv6 fragments (MF set or offset non-zero; atomic IPv6 fragments excluded).</item>
/// <item><see cref="Malformed"/>: packets <see cref="PacketDecoder"/> rejects as <see cref="DecodeStatus.Malformed"/>
///   (headers contradict themselves or the packet length); snapshot-length cuts are not malformed.</item>
/// <item><see cref="LinkTypes"/>: packets per link type, by libpcap name (EN10MB, LINUX_SLL, …).</item>
/// </list>
/// </summary>
public sealed class CaptureStatistics
{
    private readonly Dictionary<string, long> _linkTypes = new(StringComparer.Ordinal);

    public long Packets { get; private set; }
    public long Bytes { get; private set; }
    public long Matched { get; private set; }
    public long IPv4 { get; private set; }
    public long IPv6 { get; private set; }
    public long Tcp { get; private set; }
    public long Udp { get; private set; }
    public long Fragments { get; private set; }
    public long Malformed { get; private set; }

    /// <summary>Packets per link type name (libpcap names; enumerate in any order, sort for display).</summary>
    public IReadOnlyDictionary<string, long> LinkTypes => _linkTypes;

    /// <summary>
    /// Reads <paramref name="source"/> to its end (or <paramref name="maxPackets"/> packets, or
    /// cancellation, which stops the source) and counts. The counts of every packet read are kept
    /// even when the source throws (a corrupt file): they are in <paramref name="into"/>.
    /// </summary>
    public static CaptureStatistics Collect(PacketSource source, PacketFilter? filter = null, long maxPackets = long.MaxValue,
        CancellationToken cancellationToken = default, CaptureStatistics? into = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        CaptureStatistics stats = into ?? new CaptureStatistics();
        using CancellationTokenRegistration registration = cancellationToken.Register(source.Stop);
        long packets = 0, bytes = 0, matched = 0, ip4 = 0, ip6 = 0, tcp = 0, udp = 0, fragments = 0, malformed = 0;
        LinkType runType = default;
        long runStart = 0;
        try
        {
            while (packets < maxPackets && source.TryReadNext(out Packet packet))
            {
                if (packet.LinkType != runType)
                {
                    stats.AddLinkType(runType, packets - runStart);
                    runType = packet.LinkType;
                    runStart = packets;
                }
                packets++;
                bytes += packet.OriginalLength;
                if (filter is null || filter.Matches(packet))
                    matched++;
                DecodeStatus status = PacketDecoder.Decode(packet, out DecodedPacket d);
                if (status == DecodeStatus.Malformed)
                    malformed++;
                if (d.IpVersion == 4)
                    ip4++;
                else if (d.IpVersion == 6)
                    ip6++;
                if (d.HasTransportHeader)
                {
                    if (d.Protocol == IpProtocol.Tcp)
                        tcp++;
                    else if (d.Protocol == IpProtocol.Udp)
                        udp++;
                }
                if (d.IsFragment)
                    fragments++;
            }
        }
        finally
        {
            stats.AddLinkType(runType, packets - runStart);
            stats.Packets += packets;
            stats.Bytes += bytes;
            stats.Matched += matched;
            stats.IPv4 += ip4;
            stats.IPv6 += ip6;
            stats.Tcp += tcp;
            stats.Udp += udp;
            stats.Fragments += fragments;
            stats.Malformed += malformed;
        }
        return stats;
    }

    private void AddLinkType(LinkType linkType, long count)
    {
        if (count == 0)
            return;
        string name = LinkTypeNames.GetName(linkType);
        _linkTypes[name] = _linkTypes.GetValueOrDefault(name) + count;
    }
}
