using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tributary.Capture.Internal;

namespace Tributary.Capture.Files;

/// <summary>
/// Classic pcap reader: microsecond or nanosecond timestamps, either byte order, any snapshot length
/// (pcap-savefile(5)). One interface, one link type.
/// </summary>
public sealed unsafe class PcapReader : CaptureFileReader
{
    private readonly bool _swap;
    private readonly long _fractionToNanoseconds;
    private readonly LinkType _linkType;
    private readonly uint _maxCaptured;
    private readonly bool _swapNullHeader;
    private readonly CaptureInterface[] _interfaces;

    internal PcapReader(InputFeed feed, string name, int bufferSize)
        : base(feed, name, bufferSize)
    {
        if (!Ensure(PcapFormat.FileHeaderSize))
            throw Corrupt(0, $"truncated pcap file header: {_end - _pos} of {PcapFormat.FileHeaderSize} bytes");
        uint magic = *(uint*)_base;
        (_swap, bool nano) = magic switch
        {
            PcapFormat.MagicMicroseconds => (false, false),
            PcapFormat.MagicNanoseconds => (false, true),
            PcapFormat.MagicMicrosecondsSwapped => (true, false),
            PcapFormat.MagicNanosecondsSwapped => (true, true),
            _ => throw Corrupt(0, $"not a pcap file (magic 0x{magic:x8})"),
        };
        Format = nano ? CaptureFileFormat.PcapNanosecond : CaptureFileFormat.Pcap;
        _fractionToNanoseconds = nano ? 1 : 1000;
        ushort major = U16(_base + 4);
        if (major != PcapFormat.VersionMajor)
            throw Corrupt(4, $"unsupported pcap version {major}.{U16(_base + 6)}");
        uint snap = U32(_base + 16);
        _linkType = (LinkType)(U32(_base + 20) & PcapFormat.LinkTypeMask);
        _maxCaptured = Math.Clamp(snap, PcapFormat.MaximumSnapLength, MaxRecordSize);
        _swapNullHeader = _swap && _linkType == LinkType.Null;
        _interfaces = [new CaptureInterface(0, _linkType, (int)Math.Min(snap, int.MaxValue), null, null, nano ? 1_000_000_000UL : 1_000_000UL)];
        _pos = PcapFormat.FileHeaderSize;
    }

    public override CaptureFileFormat Format { get; }

    public override IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    /// <summary>The file's link type.</summary>
    public LinkType LinkType => _linkType;

    /// <summary>The snapshot length from the file header.</summary>
    public int SnapLength => _interfaces[0].SnapLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryReadNext(out Packet packet)
    {
        int pos = _pos;
        int available = _end - pos - PcapFormat.RecordHeaderSize;
        if (available >= 0)
        {
            byte* h = _base + pos;
            uint captured = U32(h + 8);
            if (captured <= (uint)available && captured <= _maxCaptured)
            {
                _pos = pos + PcapFormat.RecordHeaderSize + (int)captured;
                Prefetch(h, _base + _pos);
                if (_swapNullHeader)
                    NullHeader.ToHostOrder(h + PcapFormat.RecordHeaderSize, captured);
                packet = Record(h, captured, _bufferOffset + pos, ++PacketsRead);
                return true;
            }
        }
        return ReadSlow(out packet);
    }

    private bool ReadSlow(out Packet packet)
    {
        packet = default;
        if (IsDisposed)
            throw new ObjectDisposedException(GetType().FullName);
        long offset = Position;
        if (!Ensure(PcapFormat.RecordHeaderSize))
        {
            if (_end == _pos)
                return false;
            throw Corrupt(offset, $"truncated packet record header: {_end - _pos} of {PcapFormat.RecordHeaderSize} bytes present");
        }
        uint captured = U32(_base + _pos + 8);
        if (captured > _maxCaptured)
            throw Corrupt(offset, $"invalid packet record: captured length {captured} exceeds the maximum {_maxCaptured}");
        if (!Ensure(PcapFormat.RecordHeaderSize + (int)captured))
            throw Corrupt(offset, $"truncated packet record: {captured} captured bytes announced, {_end - _pos - PcapFormat.RecordHeaderSize} present");
        return TryReadNext(out packet);
    }

    /// <summary>
    /// True when <see cref="TryReadAt"/> and <see cref="FindRecordBoundary"/> work: the file is memory-mapped and
    /// reading never rewrites it in place (a swapped-byte-order LINKTYPE_NULL file has its headers converted as read).
    /// </summary>
    public bool SupportsRandomAccess => IsMemoryMapped && !_swapNullHeader;

    /// <summary>
    /// Reads the record at <paramref name="offset"/> of a memory-mapped file without moving this reader, and moves
    /// <paramref name="offset"/> past it: a cursor of the caller's own, so that several threads can read parts of one
    /// mapping at once (<see cref="SupportsRandomAccess"/>). The packet stays valid until the reader is disposed.
    /// False at the exact end of the file; a record that is cut short or invalid throws, as <see cref="TryReadNext"/>.
    /// <see cref="Packet.Number"/> is 0 (the ordinal is unknown to a cursor that did not start at the beginning).
    /// </summary>
    /// <param name="offset">The record's offset; on return, the next record's.</param>
    /// <param name="packet">The record.</param>
    /// <param name="sequential">
    /// True for a cursor that reads records in file order: the records ahead are prefetched as by
    /// <see cref="TryReadNext"/>. False for one that jumps between records (it prefetches its own with
    /// <see cref="CaptureFileReader.PrefetchRecord"/>).
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(ref long offset, out Packet packet, bool sequential = true) =>
        TryReadAt(MappedStart, MappedLength, ref offset, out packet, sequential);

    /// <summary>
    /// <see cref="TryReadAt(ref long, out Packet, bool)"/> over a copy of part of the file that the caller loaded
    /// (<see cref="CaptureFileReader.ReadAt"/>): <paramref name="start"/> is where offset 0 of the file would be, so
    /// that <c>start + offset</c> addresses the copy, and records must end by <paramref name="end"/>, the end of the
    /// copy. A record that does not is read from the mapping instead, as by the other overload (its packet then points
    /// into the mapping), so errors and the next offset are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryReadAt(byte* start, long end, ref long offset, out Packet packet, bool sequential)
    {
        long length = end;
        long at = offset;
        if (start != null && !_swapNullHeader
            && (ulong)(at - PcapFormat.FileHeaderSize) <= (ulong)(length - PcapFormat.RecordHeaderSize - PcapFormat.FileHeaderSize))
        {
            byte* h = start + at;
            uint captured = U32(h + 8);
            if (captured <= _maxCaptured && captured <= (ulong)(length - at - PcapFormat.RecordHeaderSize))
            {
                long next = at + PcapFormat.RecordHeaderSize + captured;
                offset = next;
                if (sequential)
                    Prefetch(h, start + next);
                packet = Record(h, captured, at, 0);
                return true;
            }
        }
        // Not a record that ends inside the copy: read it from the mapping (which reports any fault).
        return start == MappedStart ? ReadAtSlow(offset, out packet) : TryReadAt(MappedStart, MappedLength, ref offset, out packet, sequential);
    }

    private bool ReadAtSlow(long offset, out Packet packet)
    {
        packet = default;
        ThrowIfNoRandomAccess(SupportsRandomAccess);
        long length = MappedLength;
        if (offset < PcapFormat.FileHeaderSize || offset > length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"not a record offset of a {length}-byte pcap file");
        if (offset == length)
            return false;
        if (length - offset < PcapFormat.RecordHeaderSize)
            throw Corrupt(offset, $"truncated packet record header: {length - offset} of {PcapFormat.RecordHeaderSize} bytes present");
        uint captured = U32(MappedStart + offset + 8);
        if (captured > _maxCaptured)
            throw Corrupt(offset, $"invalid packet record: captured length {captured} exceeds the maximum {_maxCaptured}");
        throw Corrupt(offset, $"truncated packet record: {captured} captured bytes announced, {length - offset - PcapFormat.RecordHeaderSize} present");
    }

    /// <summary>
    /// The first offset in [<paramref name="from"/>, <paramref name="limit"/>) of a memory-mapped file where a record
    /// plausibly starts: <paramref name="confirm"/> records in a row (or every record up to the end of the file) have
    /// a valid fraction of a second, a captured length from 1 to the snapshot length and no larger than a plausible
    /// length on the wire, and times that never go back and start no earlier than a day before the file's first
    /// record; -1 when there is none. A true record start that fails this (a capture whose times go back) is passed
    /// over for a later one; one that also chains 4 bytes earlier is taken to be the true headers read 4 bytes late,
    /// and the earlier offset is returned (it may then lie before <paramref name="from"/>). Classic pcap has no markers between
    /// records, so this is a heuristic: splitting a file for parallel readers, a caller must check that the reader of
    /// the part before lands exactly on it.
    /// </summary>
    public long FindRecordBoundary(long from, long limit, int confirm = 8)
    {
        ThrowIfNoRandomAccess(SupportsRandomAccess);
        ArgumentOutOfRangeException.ThrowIfLessThan(confirm, 1);
        return FindRecordBoundary(MappedStart, 0, MappedLength, from, limit, confirm, out _);
    }

    /// <summary>
    /// <see cref="FindRecordBoundary(long, long, int)"/> over a copy of the file's bytes [<paramref name="begin"/>,
    /// <paramref name="end"/>) (<see cref="CaptureFileReader.ReadAt"/>), addressed as <c>start + offset</c>. The answer
    /// is the mapping's whenever <paramref name="inconclusive"/> is false; it is true (and the result -1) when the search
    /// needs bytes outside the copy, for the caller to search the mapping instead.
    /// </summary>
    internal long FindRecordBoundary(byte* start, long begin, long end, long from, long limit, int confirm, out bool inconclusive)
    {
        inconclusive = false;
        long length = MappedLength;
        long wanted = Math.Min(limit, length);
        limit = Math.Min(wanted, end);
        long notBefore = 0;
        if (length >= PcapFormat.FileHeaderSize + PcapFormat.RecordHeaderSize)
            notBefore = (U32(MappedStart + PcapFormat.FileHeaderSize) - 86_400L) * 1_000_000_000L; // a day before the first record
        for (long at = Math.Max(from, PcapFormat.FileHeaderSize); at < limit; at++)
        {
            RecordChain chain = at < begin ? RecordChain.Cut : ChainsFrom(start, end, length, at, confirm, notBefore);
            if (chain == RecordChain.Found)
            {
                // Where the true headers read 4 bytes late also chain (times that start near 0 pass the time checks),
                // the first chain found from inside a header is that alias: the true record starts 4 bytes earlier.
                while (at - 4 >= PcapFormat.FileHeaderSize
                    && (chain = at - 4 < begin ? RecordChain.Cut : ChainsFrom(start, end, length, at - 4, confirm, notBefore)) == RecordChain.Found)
                {
                    at -= 4;
                }
                if (chain != RecordChain.Cut)
                    return at;
            }
            if (chain == RecordChain.Cut)
            {
                inconclusive = true;
                return -1;
            }
        }
        inconclusive = limit < wanted; // the copy ended before the range searched did
        return -1;
    }

    /// <summary>Longest packet on the wire taken as plausible (wire lengths reach 64 KiB with GRO, 512 KiB with BIG TCP).</summary>
    private const uint MaximumWireLength = 16 << 20;

    /// <summary>
    /// Whether <paramref name="confirm"/> plausible records chain from <paramref name="at"/> in bytes addressed as
    /// <c>start + offset</c> up to <paramref name="end"/> of a file of <paramref name="length"/> bytes
    /// (<see cref="RecordChain.Cut"/> when the chain reaches <paramref name="end"/> before the file's end).
    /// </summary>
    private RecordChain ChainsFrom(byte* start, long end, long length, long at, int confirm, long notBefore)
    {
        uint fractionLimit = _fractionToNanoseconds == 1 ? 1_000_000_000u : 1_000_000u;
        long previous = notBefore;
        for (int i = 0; i < confirm; i++)
        {
            if (at == length)
                return i > 0 ? RecordChain.Found : RecordChain.None;
            if (length - at < PcapFormat.RecordHeaderSize)
                return RecordChain.None;
            if (end - at < PcapFormat.RecordHeaderSize)
                return RecordChain.Cut;
            byte* h = start + at;
            uint seconds = U32(h), fraction = U32(h + 4), captured = U32(h + 8), wire = U32(h + 12);
            if (fraction >= fractionLimit || captured == 0 || captured > _maxCaptured || captured > wire || wire > MaximumWireLength
                || captured > length - at - PcapFormat.RecordHeaderSize)
                return RecordChain.None;
            // Times never go back in the chain and none is a day before the file's first record. This rejects the
            // commonest false chain: the true headers read 4 bytes late, where the microseconds pass for seconds,
            // the captured length for the fraction and the wire length for the captured length.
            long time = seconds * 1_000_000_000L + fraction;
            if (time < previous)
                return RecordChain.None;
            previous = time;
            at += PcapFormat.RecordHeaderSize + captured;
        }
        return RecordChain.Found;
    }

    /// <summary>The packet of the record whose header is at <paramref name="h"/> (its captured length already checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Packet Record(byte* h, uint captured, long offset, long number) =>
        new(new Span<byte>(h + PcapFormat.RecordHeaderSize, (int)captured), Length(U32(h + 12)),
            U32(h) * 1_000_000_000L + U32(h + 4) * _fractionToNanoseconds, _linkType, 0, offset, number);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint U32(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(uint*)p) : *(uint*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort U16(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(ushort*)p) : *(ushort*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Length(uint length) => length > int.MaxValue ? int.MaxValue : (int)length;
}
