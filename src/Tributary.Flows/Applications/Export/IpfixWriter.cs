using System.Buffers.Binary;
using Tributary.Capture.Decoding;
using Tributary.Flows.Applications.Summary;

namespace Tributary.Flows.Applications.Export;

/// <summary>
/// Writes TCP flows as IPFIX (RFC 7011) uniflow records, one per direction that carried packets, so that flow
/// collectors (nfdump, Zeek's and ntop's, Elastic, any IPFIX collector) take a monitor's flows. Two templates, one
/// per address family, with IANA information elements (RFC 7012): flowStartMilliseconds (152), flowEndMilliseconds
/// (153), source/destination IPv4 (8, 12) or IPv6 (27, 28) address, source/destination transport port (7, 11),
/// protocolIdentifier (4), tcpControlBits (6: the union of the direction's flags), octetDeltaCount (1: IP octets,
/// headers included), packetDeltaCount (2), flowEndReason (136: 3 when a FIN both ways or a RST ended the flow,
/// 4 "forced end" otherwise) and biflowDirection (239: 1 for the client's direction, 2 for the server's).
/// Messages go to a sink one by one: a file (RFC 5655: messages back to back, the templates once at the start) or
/// datagrams (every message starts with the templates, as RFC 7011 §8.4 asks of UDP, and stays under
/// <see cref="DatagramLimit"/> bytes).
/// </summary>
public sealed class IpfixWriter
{
    /// <summary>Largest message for a datagram sink: fits a 1500-byte MTU with IPv6 and UDP headers.</summary>
    public const int DatagramLimit = 1400;

    /// <summary>Template ids (data sets use them as their set id; 256 is the first allowed, RFC 7011 §3.4.1).</summary>
    public const ushort IPv4TemplateId = 256, IPv6TemplateId = 257;

    private const int HeaderLength = 16, SetHeaderLength = 4;

    // (element id, length) of each template, in record order.
    private static readonly (ushort Id, ushort Length)[] s_v4 =
        [(152, 8), (153, 8), (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 2), (1, 8), (2, 8), (136, 1), (239, 1)];
    private static readonly (ushort Id, ushort Length)[] s_v6 =
        [(152, 8), (153, 8), (27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (6, 2), (1, 8), (2, 8), (136, 1), (239, 1)];

    private static readonly int s_v4Length = s_v4.Sum(f => f.Length), s_v6Length = s_v6.Sum(f => f.Length);

    private readonly Action<ReadOnlyMemory<byte>> _sink;
    private readonly bool _datagrams;
    private readonly int _limit;
    private readonly byte[] _message;
    private readonly Func<DateTimeOffset> _now;
    private bool _templatesSent;
    private int _length;
    private int _setStart = -1;
    private ushort _setId;
    private uint _sequence;
    private uint _recordsInMessage;

    /// <param name="sink">Receives each finished message (the memory is reused after the call).</param>
    /// <param name="datagrams">Each message stands alone (UDP): templates in every one, at most <see cref="DatagramLimit"/> bytes.</param>
    /// <param name="observationDomainId">The message header's Observation Domain ID.</param>
    /// <param name="now">Export time source (the wall clock by default).</param>
    public IpfixWriter(Action<ReadOnlyMemory<byte>> sink, bool datagrams, uint observationDomainId = 0, Func<DateTimeOffset>? now = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        _datagrams = datagrams;
        _limit = datagrams ? DatagramLimit : ushort.MaxValue;
        _message = new byte[_limit];
        _now = now ?? (() => DateTimeOffset.UtcNow);
        ObservationDomainId = observationDomainId;
    }

    public uint ObservationDomainId { get; }

    /// <summary>Data records written so far.</summary>
    public long Records { get; private set; }

    /// <summary>Messages handed to the sink so far.</summary>
    public long Messages { get; private set; }

    /// <summary>Adds a flow's records (one per direction with packets).</summary>
    public void Write(FlowSummary flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        byte endReason = flow.Close is "RST" or "FIN" ? (byte)3 : (byte)4;
        Write(flow.IpVersion, flow.ClientToServer, flow.ServerToClient, endReason, 1);
        Write(flow.IpVersion, flow.ServerToClient, flow.ClientToServer, endReason, 2);
    }

    private void Write(int ipVersion, FlowSummary.Direction from, FlowSummary.Direction to, byte endReason, byte direction)
    {
        if (from.Packets == 0)
            return;
        Write(new IpfixFlowRecord(ipVersion, Address(from.Address, ipVersion), from.Port, Address(to.Address, ipVersion), to.Port,
            from.FirstTimestampNanoseconds / 1_000_000, from.LastTimestampNanoseconds / 1_000_000, (ushort)from.TcpFlags,
            from.IpOctets, from.Packets, endReason, direction));
    }

    private static UInt128 Address(IpAddress address, int ipVersion)
    {
        if (ipVersion == 4)
            return address.IPv4Value;
        Span<byte> bytes = stackalloc byte[16];
        address.WriteTo16(bytes);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>Sends what is buffered as a last message.</summary>
    public void Flush()
    {
        if (_length > 0)
            Send();
    }

    /// <summary>Adds one direction's record.</summary>
    public void Write(in IpfixFlowRecord record)
    {
        bool v6 = record.IpVersion == 6;
        ushort setId = v6 ? IPv6TemplateId : IPv4TemplateId;
        int recordLength = v6 ? s_v6Length : s_v4Length;
        if (_length == 0)
            Begin();
        if (_setStart < 0 || _setId != setId)
        {
            if (_length + SetHeaderLength + recordLength > _limit)
            {
                Send();
                Begin();
            }
            OpenSet(setId);
        }
        else if (_length + recordLength > _limit)
        {
            Send();
            Begin();
            OpenSet(setId);
        }
        Span<byte> r = _message.AsSpan(_length, recordLength);
        BinaryPrimitives.WriteUInt64BigEndian(r, (ulong)record.StartMilliseconds);
        BinaryPrimitives.WriteUInt64BigEndian(r[8..], (ulong)record.EndMilliseconds);
        int at = 16;
        if (v6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(r[at..], record.Source);
            BinaryPrimitives.WriteUInt128BigEndian(r[(at + 16)..], record.Destination);
            at += 32;
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(r[at..], (uint)record.Source);
            BinaryPrimitives.WriteUInt32BigEndian(r[(at + 4)..], (uint)record.Destination);
            at += 8;
        }
        BinaryPrimitives.WriteUInt16BigEndian(r[at..], record.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(r[(at + 2)..], record.DestinationPort);
        r[at + 4] = 6; // TCP
        BinaryPrimitives.WriteUInt16BigEndian(r[(at + 5)..], record.TcpFlags);
        BinaryPrimitives.WriteUInt64BigEndian(r[(at + 7)..], (ulong)record.Octets);
        BinaryPrimitives.WriteUInt64BigEndian(r[(at + 15)..], (ulong)record.Packets);
        r[at + 23] = record.EndReason;
        r[at + 24] = record.Direction;
        _length += recordLength;
        _recordsInMessage++;
        Records++;
    }

    /// <summary>A new message: its header is written at send time; the templates first when the sink needs them.</summary>
    private void Begin()
    {
        _length = HeaderLength;
        _setStart = -1;
        _recordsInMessage = 0;
        if (_datagrams || !_templatesSent)
        {
            WriteTemplates();
            _templatesSent = true;
        }
    }

    private void WriteTemplates()
    {
        int start = _length;
        _length += SetHeaderLength;
        foreach ((ushort id, (ushort Id, ushort Length)[] fields) in new[] { (IPv4TemplateId, s_v4), (IPv6TemplateId, s_v6) })
        {
            Span<byte> t = _message.AsSpan(_length);
            BinaryPrimitives.WriteUInt16BigEndian(t, id);
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], (ushort)fields.Length);
            int at = 4;
            foreach ((ushort fieldId, ushort length) in fields)
            {
                BinaryPrimitives.WriteUInt16BigEndian(t[at..], fieldId);
                BinaryPrimitives.WriteUInt16BigEndian(t[(at + 2)..], length);
                at += 4;
            }
            _length += at;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_message.AsSpan(start), 2); // Template Set
        BinaryPrimitives.WriteUInt16BigEndian(_message.AsSpan(start + 2), (ushort)(_length - start));
    }

    private void OpenSet(ushort setId)
    {
        CloseSet();
        _setStart = _length;
        _setId = setId;
        _length += SetHeaderLength;
    }

    private void CloseSet()
    {
        if (_setStart < 0)
            return;
        BinaryPrimitives.WriteUInt16BigEndian(_message.AsSpan(_setStart), _setId);
        BinaryPrimitives.WriteUInt16BigEndian(_message.AsSpan(_setStart + 2), (ushort)(_length - _setStart));
        _setStart = -1;
    }

    private void Send()
    {
        CloseSet();
        Span<byte> h = _message;
        BinaryPrimitives.WriteUInt16BigEndian(h, 10);
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)_length);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], (uint)_now().ToUnixTimeSeconds());
        // RFC 7011 §3.1: the count of data records sent before this message (mod 2^32).
        BinaryPrimitives.WriteUInt32BigEndian(h[8..], _sequence);
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], ObservationDomainId);
        _sink(_message.AsMemory(0, _length));
        _sequence += _recordsInMessage;
        Messages++;
        _length = 0;
        _recordsInMessage = 0;
    }
}
