using System.Security.Cryptography;
using Tributary.Capture;
using Tributary.Capture.Decoding;
using CaptureTcpFlags = Tributary.Capture.Decoding.TcpFlags;

namespace Tributary.Flows.Applications.Summary;

/// <summary>One TCP flow of <see cref="FlowSummarizer"/>.</summary>
public sealed class FlowSummary
{
    private readonly Direction _first;
    private readonly Direction _other;
    private Direction? _synFrom;
    private Direction? _synAckTo;
    private bool _complete;

    internal FlowSummary(int index, int ipVersion, IpAddress a, ushort aPort, IpAddress b, ushort bPort)
    {
        Index = index;
        IpVersion = ipVersion;
        _first = new Direction(a, aPort);
        _other = new Direction(b, bPort);
    }

    public int Index { get; }
    public int IpVersion { get; }
    public int Syn { get; private set; }
    public int SynAck { get; private set; }

    /// <summary>syn (sender of a SYN without ACK), synack (receiver of a SYN/ACK) or first (sender of the first packet).</summary>
    public string Basis => _synFrom is not null ? "syn" : _synAckTo is not null ? "synack" : "first";

    /// <summary>Client→server direction (client = the corpus basis rule).</summary>
    public Direction ClientToServer => _synFrom ?? _synAckTo ?? _first;

    public Direction ServerToClient => ReferenceEquals(ClientToServer, _first) ? _other : _first;

    /// <summary>RST if any RST; else FIN if FIN both ways; else FIN1 if one way; else NONE.</summary>
    public string Close =>
        _first.Rst + _other.Rst > 0 ? "RST" : _first.Fin > 0 && _other.Fin > 0 ? "FIN" : _first.Fin + _other.Fin > 0 ? "FIN1" : "NONE";

    public long DroppedBytes => _first.Dropped + _other.Dropped;

    internal Direction DirectionOf(IpAddress source, ushort port) =>
        _first.Address == source && _first.Port == port ? _first : _other;

    internal void Add(in DecodedPacket d, long timestampNanoseconds)
    {
        Direction dir = DirectionOf(d.Source, d.SourcePort);
        Direction peer = ReferenceEquals(dir, _first) ? _other : _first;
        CaptureTcpFlags flags = d.TcpFlags;
        bool syn = (flags & CaptureTcpFlags.Syn) != 0, ack = (flags & CaptureTcpFlags.Ack) != 0;
        if (syn && !ack)
        {
            Syn++;
            _synFrom ??= dir;
        }
        if (syn && ack)
        {
            SynAck++;
            _synAckTo ??= peer;
        }
        dir.Add(d, syn, timestampNanoseconds);
    }

    internal void Complete()
    {
        if (_complete)
            return;
        _complete = true;
        _first.Complete();
        _other.Complete();
    }

    /// <summary>One direction: counts and its reassembled byte stream.</summary>
    public sealed class Direction
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly SortedList<long, byte[]> _pending = [];
        private readonly Internal.RangeSet _seen = new();
        private long _pendingBytes;
        private long _next;
        private string? _sha;

        internal Direction(IpAddress address, ushort port)
        {
            Address = address;
            Port = port;
        }

        public IpAddress Address { get; }
        public ushort Port { get; }
        public long Packets { get; private set; }
        /// <summary>Sum of the segments' payload lengths (from the IP headers; retransmissions counted again).</summary>
        public long Bytes { get; private set; }
        /// <summary>Segments whose payload lies partly or wholly at sequence numbers already seen in this direction.</summary>
        public long Retransmissions { get; private set; }
        public int Fin { get; private set; }
        public int Rst { get; private set; }
        /// <summary>Sum of the segments' IP lengths, headers included (IPFIX octetDeltaCount, RFC 7012).</summary>
        public long IpOctets { get; private set; }
        /// <summary>Union of the segments' TCP flags (IPFIX tcpControlBits).</summary>
        public CaptureTcpFlags TcpFlags { get; private set; }
        /// <summary>Capture time of the earliest and the latest segment (ns since the epoch); 0 with no segment.</summary>
        public long FirstTimestampNanoseconds { get; private set; }
        public long LastTimestampNanoseconds { get; private set; }
        /// <summary>Length of the contiguous reassembled stream.</summary>
        public long Length => _next;
        public string Sha256 => _sha ?? throw new InvalidOperationException("summary not completed");
        internal long Dropped { get; private set; }
        internal bool BaseSet { get; private set; }
        internal uint BaseSequence { get; private set; }

        internal void Add(in DecodedPacket d, bool syn, long timestampNanoseconds)
        {
            if (Packets == 0 || timestampNanoseconds < FirstTimestampNanoseconds)
                FirstTimestampNanoseconds = timestampNanoseconds;
            if (Packets == 0 || timestampNanoseconds > LastTimestampNanoseconds)
                LastTimestampNanoseconds = timestampNanoseconds;
            // Stream offset 0 is the byte after the SYN, or the first sequence number seen mid-stream. Every SYN in a
            // direction that so far sent no payload moves it there (as tshark's follow): when a client reuses its
            // 4-tuple, the server's old connection or old SYN request answers the new SYN first, with an RFC 5961
            // section 4.2 challenge ACK or with retransmissions of its own SYN/ACK, before the new SYN/ACK.
            if (!BaseSet || (syn && Bytes == 0))
            {
                BaseSet = true;
                BaseSequence = syn ? d.Sequence : d.Sequence - 1;
            }
            Packets++;
            Bytes += d.PayloadLength;
            IpOctets += d.IpTotalLength;
            TcpFlags |= d.TcpFlags;
            if ((d.TcpFlags & CaptureTcpFlags.Fin) != 0)
                Fin++;
            if ((d.TcpFlags & CaptureTcpFlags.Rst) != 0)
                Rst++;
            if (d.PayloadLength <= 0)
                return;
            uint first = syn ? d.Sequence + 1 : d.Sequence;
            long start = Unwrap(first - (BaseSequence + 1));
            long end = start + d.PayloadLength;
            if (_seen.Overlaps(start, end))
                Retransmissions++;
            _seen.Add(start, end, limit: 1 << 16);
            ReadOnlySpan<byte> data = d.Payload; // captured part: a snaplen-cut segment leaves a hole behind it
            Insert(start, data);
        }

        /// <summary>The stream offset of a relative sequence number nearest to the current end (streams longer than 4 GiB wrap).</summary>
        private long Unwrap(uint relative)
        {
            long c = (_next & ~0xFFFFFFFFL) | relative;
            if (c - _next > 1L << 31)
                c -= 1L << 32;
            else if (_next - c > 1L << 31)
                c += 1L << 32;
            return c;
        }

        private void Insert(long start, ReadOnlySpan<byte> data)
        {
            if (start < 0)
            {
                if (-start >= data.Length)
                    return;
                data = data[(int)-start..];
                start = 0;
            }
            long end = start + data.Length;
            if (end <= _next)
                return;
            if (start <= _next)
            {
                Append(data[(int)(_next - start)..]);
                Drain();
                return;
            }
            // Out of order: keep only the parts no earlier segment covers (first copy wins). The gaps are found
            // first and held after: holding one while walking the pending segments would change the list under
            // the walk (a segment that spans two held segments and the holes around them).
            long pos = start;
            List<(long Start, long End)>? gaps = null;
            foreach (KeyValuePair<long, byte[]> kv in _pending)
            {
                long ps = kv.Key, pe = kv.Key + kv.Value.Length;
                if (pe <= pos)
                    continue;
                if (ps >= end)
                    break;
                if (ps > pos)
                    (gaps ??= []).Add((pos, ps));
                pos = Math.Max(pos, pe);
                if (pos >= end)
                    break;
            }
            if (gaps is not null)
            {
                foreach ((long gapStart, long gapEnd) in gaps)
                    Hold(gapStart, data.Slice((int)(gapStart - start), (int)(gapEnd - gapStart)));
            }
            if (pos < end)
                Hold(pos, data[(int)(pos - start)..]);
        }

        private void Hold(long start, ReadOnlySpan<byte> data)
        {
            if (_pendingBytes + data.Length > FlowSummarizer.MaxPendingBytesPerDirection)
            {
                Dropped += data.Length;
                return;
            }
            _pending[start] = data.ToArray();
            _pendingBytes += data.Length;
        }

        private void Append(ReadOnlySpan<byte> data)
        {
            _hash.AppendData(data);
            _next += data.Length;
        }

        private void Drain()
        {
            while (_pending.Count > 0)
            {
                long ps = _pending.Keys[0];
                if (ps > _next)
                    return;
                byte[] chunk = _pending.Values[0];
                _pending.RemoveAt(0);
                _pendingBytes -= chunk.Length;
                long pe = ps + chunk.Length;
                if (pe > _next)
                    Append(chunk.AsSpan((int)(_next - ps)));
            }
        }

        internal void Complete()
        {
            _sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
            _pending.Clear();
        }
    }
}
