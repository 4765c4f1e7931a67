using System.Buffers;
using System.Buffers.Binary;

namespace Tributary.Capture.Decoding;

/// <summary>
/// Rebuilds IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) datagrams from fragments, within memory limits,
/// timing out on the packet clock. Datagrams are keyed by (version, source, destination, id, and the
/// protocol for IPv4). Overlapping fragments discard the whole datagram (RFC 5722; Linux does the
/// same for IPv4); exact duplicates are ignored. The rebuilt datagram has a consistent header (IPv4:
/// length, flags and header checksum fixed; IPv6: fragment header removed, payload length fixed).
/// Not thread-safe. No allocation per fragment in steady state (buffers are pooled).
/// </summary>
public sealed class IpFragmentReassembler : IDisposable
{
    private const int MaxIPv4Datagram = 65535;
    private const int MaxIPv6Payload = 65535;
    private const int FragmentHeaderLength = 8;

    private readonly IpFragmentReassemblerOptions _options;
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly Stack<Entry> _free = new();
    private readonly long _timeoutNs;
    private long _lastSweepNs = long.MinValue;
    private byte[]? _completed;     // buffer of the datagram last returned; back to the pool on the next call
    private long _sequence;

    public IpFragmentReassembler(IpFragmentReassemblerOptions? options = null)
    {
        _options = options ?? new IpFragmentReassemblerOptions();
        _timeoutNs = (long)_options.Timeout.TotalMilliseconds * 1_000_000;
    }

    /// <summary>Datagrams rebuilt.</summary>
    public long Completed { get; private set; }

    /// <summary>Fragments refused (<see cref="FragmentResult.Dropped"/>).</summary>
    public long DroppedFragments { get; private set; }

    /// <summary>Incomplete datagrams discarded: overlap, inconsistency, timeout or memory pressure.</summary>
    public long DiscardedDatagrams { get; private set; }

    /// <summary>Incomplete datagrams discarded because they timed out.</summary>
    public long TimedOut { get; private set; }

    /// <summary>Datagrams waiting for fragments.</summary>
    public int PendingDatagrams => _entries.Count;

    /// <summary>Fragment data bytes held.</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>
    /// Decodes a captured frame as tshark reads IP: a fragment is held until its datagram is complete, and the whole
    /// datagram is decoded then (<paramref name="reassembled"/>; valid until the next call). False while a datagram
    /// is incomplete, and for a frame that carries no IP.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> frame, LinkType linkType, int originalLength, long timestampNanoseconds,
        out DecodedPacket packet, out bool reassembled)
    {
        reassembled = false;
        PacketDecoder.Decode(frame, linkType, originalLength, out packet);
        if (packet.IpVersion == 0)
            return false;
        if (!packet.IsFragment)
            return true;
        if (Process(packet, timestampNanoseconds, out ReadOnlySpan<byte> datagram) != FragmentResult.Complete)
            return false;
        PacketDecoder.DecodeIp(datagram, out packet);
        reassembled = true;
        return true;
    }

    /// <summary>
    /// Adds a decoded packet. For <see cref="FragmentResult.Complete"/>, <paramref name="datagram"/> is
    /// the rebuilt IP datagram (header first), valid until the next call; decode it with
    /// <see cref="PacketDecoder.DecodeIp"/>.
    /// </summary>
    public FragmentResult Process(scoped in DecodedPacket fragment, long timestampNanoseconds, out ReadOnlySpan<byte> datagram)
    {
        datagram = default;
        ReleaseCompleted();
        if (fragment.IpVersion == 0 || !fragment.IsFragment)
            return FragmentResult.NotFragment;
        Sweep(timestampNanoseconds);

        ReadOnlySpan<byte> frame = fragment.Frame;
        int dataStart = fragment._fragmentDataOffset;
        int dataLength = fragment.NetworkOffset + fragment.IpTotalLength - dataStart;
        int begin = fragment.FragmentOffset;
        int end = begin + dataLength;
        bool last = !fragment.MoreFragments;
        int limit = fragment.IpVersion == 4 ? MaxIPv4Datagram - fragment.IpHeaderLength : MaxIPv6Payload;
        // Malformed, snapshot-cut, or impossible fragments: refuse this one (RFC 8200 §4.5: non-last
        // fragment lengths are multiples of 8).
        if (fragment.Status == DecodeStatus.Malformed || dataLength <= 0 || frame.Length < dataStart + dataLength
            || end > limit || (!last && (dataLength & 7) != 0))
        {
            DroppedFragments++;
            return FragmentResult.Dropped;
        }

        var key = new Key(fragment);
        if (!_entries.TryGetValue(key, out Entry? entry))
        {
            if (_entries.Count >= _options.MaxDatagrams)
                EvictOldest();
            entry = _free.Count > 0 ? _free.Pop() : new Entry();
            entry.Reset(timestampNanoseconds, ++_sequence);
            _entries[key] = entry;
        }

        // Overlap check against what is stored (ranges are few: a linear scan is fine).
        for (int i = 0; i < entry.Count; i++)
        {
            (int b, int e) = entry.Ranges[i];
            if (begin < e && b < end)
            {
                if (b == begin && e == end)
                    return FragmentResult.Pending;       // exact duplicate
                Discard(key, entry);
                DroppedFragments++;
                return FragmentResult.Dropped;
            }
        }
        if ((last && entry.TotalLength >= 0 && entry.TotalLength != end) || (last && end < entry.MaxEnd)
            || (entry.TotalLength >= 0 && end > entry.TotalLength) || entry.Count >= _options.MaxFragmentsPerDatagram)
        {
            Discard(key, entry);
            DroppedFragments++;
            return FragmentResult.Dropped;
        }
        while (BufferedBytes + dataLength > _options.MaxBufferedBytes && _entries.Count > 1)
        {
            if (!EvictOldest(except: entry))
                break;
        }
        if (BufferedBytes + dataLength > _options.MaxBufferedBytes)
        {
            Discard(key, entry);
            DroppedFragments++;
            return FragmentResult.Dropped;
        }

        entry.EnsureBuffer();
        frame.Slice(dataStart, dataLength).CopyTo(entry.Data.AsSpan(begin));
        entry.Add(begin, end);
        BufferedBytes += dataLength;
        if (last)
            entry.TotalLength = end;
        if (begin == 0)
        {
            // The unfragmentable part comes from the offset-0 fragment (RFC 8200 §4.5; RFC 791 copies
            // the first fragment's options).
            int headerLength = dataStart - fragment.NetworkOffset;
            entry.Header = frame.Slice(fragment.NetworkOffset, headerLength).ToArray();
            entry.NextHeaderField = fragment.IpVersion == 6 ? fragment._fragmentNextHeaderField - fragment.NetworkOffset : -1;
            entry.NextHeader = fragment.IpVersion == 6 ? frame[dataStart - FragmentHeaderLength] : (byte)0;
        }
        if (entry.TotalLength < 0 || entry.Header is null || entry.Covered != entry.TotalLength)
            return FragmentResult.Pending;

        datagram = Build(entry, fragment.IpVersion);
        _entries.Remove(key);
        BufferedBytes -= entry.Covered;
        Recycle(entry, keepBuffer: true);
        Completed++;
        return FragmentResult.Complete;
    }

    private ReadOnlySpan<byte> Build(Entry entry, int version)
    {
        byte[] header = entry.Header!;
        int payload = entry.TotalLength;
        byte[] output = ArrayPool<byte>.Shared.Rent(header.Length + payload);
        Span<byte> o = output.AsSpan(0, header.Length - (version == 6 ? FragmentHeaderLength : 0) + payload);
        if (version == 4)
        {
            header.CopyTo(o);
            entry.Data.AsSpan(0, payload).CopyTo(o[header.Length..]);
            BinaryPrimitives.WriteUInt16BigEndian(o[2..], (ushort)(header.Length + payload));
            BinaryPrimitives.WriteUInt16BigEndian(o[6..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(o[6..]) & 0x4000)); // keep DF
            o[10] = 0;
            o[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(o[10..], (ushort)~Checksums.Fold(Checksums.Sum(o[..header.Length], 0)));
        }
        else
        {
            // Drop the fragment header (the last 8 bytes of the unfragmentable part as stored) and point
            // the header before it at what the fragment header named.
            int unfragmentable = header.Length - FragmentHeaderLength;
            header.AsSpan(0, unfragmentable).CopyTo(o);
            o[entry.NextHeaderField] = entry.NextHeader;
            entry.Data.AsSpan(0, payload).CopyTo(o[unfragmentable..]);
            BinaryPrimitives.WriteUInt16BigEndian(o[4..], (ushort)(unfragmentable - 40 + payload));
        }
        _completed = output;
        return o;
    }

    /// <summary>Discards datagrams older than the timeout at <paramref name="nowNanoseconds"/> (also done by <see cref="Process"/>).</summary>
    public void Expire(long nowNanoseconds)
    {
        List<Key>? expired = null;
        foreach (var (key, entry) in _entries)
        {
            if (nowNanoseconds - entry.FirstSeenNs > _timeoutNs)
                (expired ??= []).Add(key);
        }
        if (expired is null)
            return;
        foreach (Key key in expired)
        {
            Discard(key, _entries[key]);
            TimedOut++;
        }
    }

    private void Sweep(long now)
    {
        // At most once per second of packet time: expiry is O(datagrams).
        if (_lastSweepNs != long.MinValue && now >= _lastSweepNs && now - _lastSweepNs < 1_000_000_000L)
            return;
        _lastSweepNs = now;
        if (_entries.Count > 0)
            Expire(now);
    }

    private bool EvictOldest(Entry? except = null)
    {
        Key oldestKey = default;
        Entry? oldest = null;
        foreach (var (key, entry) in _entries)
        {
            if (entry != except && (oldest is null || entry.Sequence < oldest.Sequence))
            {
                oldest = entry;
                oldestKey = key;
            }
        }
        if (oldest is null)
            return false;
        Discard(oldestKey, oldest);
        return true;
    }

    private void Discard(Key key, Entry entry)
    {
        _entries.Remove(key);
        BufferedBytes -= entry.Covered;
        DiscardedDatagrams++;
        Recycle(entry, keepBuffer: true);
    }

    private void Recycle(Entry entry, bool keepBuffer)
    {
        if (!keepBuffer)
            entry.ReturnBuffer();
        if (_free.Count < 64)
            _free.Push(entry);
        else
            entry.ReturnBuffer();
    }

    private void ReleaseCompleted()
    {
        if (_completed is not null)
        {
            ArrayPool<byte>.Shared.Return(_completed);
            _completed = null;
        }
    }

    public void Dispose()
    {
        ReleaseCompleted();
        foreach (Entry e in _entries.Values)
            e.ReturnBuffer();
        foreach (Entry e in _free)
            e.ReturnBuffer();
        _entries.Clear();
        _free.Clear();
        BufferedBytes = 0;
    }

    private readonly record struct Key(int Version, IpAddress Source, IpAddress Destination, uint Id, IpProtocol Protocol)
    {
        public Key(in DecodedPacket d)
            : this(d.IpVersion, d.Source, d.Destination, d.FragmentId, d.IpVersion == 4 ? d.Protocol : 0)
        {
        }
    }

    private sealed class Entry
    {
        public byte[] Data = [];
        public (int Begin, int End)[] Ranges = new (int, int)[8];
        public int Count;
        public int Covered;
        public int MaxEnd;
        public int TotalLength;
        public byte[]? Header;
        public int NextHeaderField;
        public byte NextHeader;
        public long FirstSeenNs;
        public long Sequence;

        public void Reset(long now, long sequence)
        {
            Count = 0;
            Covered = 0;
            MaxEnd = 0;
            TotalLength = -1;
            Header = null;
            FirstSeenNs = now;
            Sequence = sequence;
        }

        public void EnsureBuffer()
        {
            if (Data.Length < 65536)
                Data = ArrayPool<byte>.Shared.Rent(65536);
        }

        public void ReturnBuffer()
        {
            if (Data.Length > 0)
                ArrayPool<byte>.Shared.Return(Data);
            Data = [];
        }

        public void Add(int begin, int end)
        {
            if (Count == Ranges.Length)
                Array.Resize(ref Ranges, Count * 2);
            Ranges[Count++] = (begin, end);
            Covered += end - begin;
            MaxEnd = Math.Max(MaxEnd, end);
        }
    }
}
