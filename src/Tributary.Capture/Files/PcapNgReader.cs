using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Tributary.Capture.Internal;

namespace Tributary.Capture.Files;

/// <summary>
/// pcapng reader (draft-ietf-opsawg-pcapng): any number of sections (each with its own byte order)
/// and interfaces with their own link types, snapshot lengths and timestamp resolutions; Enhanced,
/// Simple and (obsolete) Packet blocks. Every other block type and every unknown option is skipped
/// after its lengths have been checked.
/// </summary>
public sealed unsafe class PcapNgReader : CaptureFileReader
{
    private readonly List<CaptureInterface> _interfaces = [];

    // Per-interface hot data, indexed by global interface id.
    private LinkType[] _linkTypes = new LinkType[4];
    private TimestampScale[] _scales = new TimestampScale[4];

    private bool _swap;
    private int _sectionFirstInterface;   // global id of the current section's interface 0
    private int _sectionInterfaceCount;
    private int _section = -1;

    // The current section's interface description blocks as read, for cursors to recognise a section that repeats
    // them (TrySkipRepeatedSection).
    private readonly List<byte[]> _sectionInterfaceBlocks = [];

    internal PcapNgReader(InputFeed feed, string name, int bufferSize)
        : base(feed, name, bufferSize)
    {
        if (!Ensure(PcapNgFormat.SectionHeaderMinimumSize))
            throw Corrupt(0, $"truncated pcapng section header block: {_end - _pos} of {PcapNgFormat.SectionHeaderMinimumSize} bytes");
        if (*(uint*)_base != PcapNgFormat.SectionHeaderBlock)
            throw Corrupt(0, $"not a pcapng file (block type 0x{*(uint*)_base:x8})");
    }

    public override CaptureFileFormat Format => CaptureFileFormat.PcapNg;

    public override IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryReadNext(out Packet packet)
    {
        int pos = _pos;
        byte* b = _base + pos;
        if (TryEnhancedPacket(b, _end - pos, _bufferOffset + pos, PacketsRead + 1, out packet, out uint total))
        {
            _pos = pos + (int)total;
            PacketsRead++;
            Prefetch(b, b + total);
            return true;
        }
        return ReadSlow(out packet);
    }

    /// <summary>
    /// The common case: an Enhanced Packet Block wholly within the <paramref name="available"/> bytes at
    /// <paramref name="b"/>, on a known interface of the current section. False, with nothing read, for anything else
    /// or any doubt (the block-by-block path then decides).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryEnhancedPacket(byte* b, long available, long offset, long number, out Packet packet, out uint total, bool verifyTrailer = true)
    {
        if (available >= PcapNgFormat.EnhancedPacketMinimumSize)
        {
            total = U32(b + 4);
            if (U32(b) == PcapNgFormat.EnhancedPacketBlock && total <= (ulong)available && (total & 3) == 0
                && total >= PcapNgFormat.EnhancedPacketMinimumSize)
            {
                uint iface = U32(b + 8);
                uint captured = U32(b + 20);
                if (iface < (uint)_sectionInterfaceCount && captured <= total - PcapNgFormat.EnhancedPacketMinimumSize
                    && (!verifyTrailer || U32(b + total - 4) == total))
                {
                    int id = _sectionFirstInterface + (int)iface;
                    ulong ts = (ulong)U32(b + 12) << 32 | U32(b + 16);
                    if (_swap && _linkTypes[id] == LinkType.Null)
                        NullHeader.ToHostOrder(b + 28, captured);
                    packet = new Packet(new Span<byte>(b + 28, (int)captured), Length(U32(b + 24)), _scales[id].ToNanoseconds(ts),
                        _linkTypes[id], id, offset, number);
                    return true;
                }
            }
        }
        packet = default;
        total = 0;
        return false;
    }

    /// <summary>Block by block: section and interface blocks update the state; packets are returned; the rest skipped.</summary>
    private bool ReadSlow(out Packet packet)
    {
        packet = default;
        if (IsDisposed)
            throw new ObjectDisposedException(GetType().FullName);
        if (!NextPacketBlock(out uint type, out uint total))
            return false;
        packet = PacketOfBlock(_base + _pos, type, total, Position, PacketsRead + 1);
        PacketsRead++;
        _pos += (int)total;
        return true;
    }

    /// <summary>
    /// Reads the blocks before the next packet block and leaves <see cref="CaptureFileReader.Position"/> at that
    /// block without reading it; false at the end of the file. Section headers and interface descriptions are read,
    /// since they define the interfaces packets refer to. Blocks that hold no packet are stepped over: name
    /// resolution, statistics, decryption secrets, custom and unknown blocks. Called before cursors of one's own
    /// (<see cref="TryReadAt"/>), it loads the interfaces of a file that describes them all before its first packet.
    /// </summary>
    public bool SkipToNextPacket()
    {
        ThrowIfDisposed();
        return NextPacketBlock(out _, out _);
    }

    /// <summary>
    /// Reads and steps over blocks until <c>_pos</c> is at a packet block that is wholly buffered and whose lengths
    /// are checked (<paramref name="type"/> and <paramref name="total"/> are its type and length); false at the end.
    /// </summary>
    private bool NextPacketBlock(out uint type, out uint total)
    {
        while (true)
        {
            long offset = Position;
            if (!Ensure(PcapNgFormat.BlockHeaderSize))
            {
                type = total = 0;
                if (_end == _pos)
                    return false;
                throw Corrupt(offset, $"truncated block header: {_end - _pos} of {PcapNgFormat.BlockHeaderSize} bytes present");
            }
            type = *(uint*)(_base + _pos);
            if (type == PcapNgFormat.SectionHeaderBlock)
            {
                ReadSectionHeader(offset);
                continue;
            }
            if (_section < 0)
                throw Corrupt(offset, "first block is not a section header block");
            total = U32(_base + _pos + 4);
            if (total < PcapNgFormat.MinimumBlockSize || (total & 3) != 0)
                throw Corrupt(offset, $"invalid block length {total} (block type 0x{U32(_base + _pos):x8})");
            type = U32(_base + _pos);
            if (!IsPacketBlock(type) && type != PcapNgFormat.InterfaceDescriptionBlock)
            {
                // Name resolution, statistics, decryption secrets, custom blocks…: check the trailer when
                // it is cheap (block already buffered), otherwise skip without reading.
                if (total <= _end - _pos && U32(_base + _pos + total - 4) != total)
                    throw Corrupt(offset, $"block trailer length {U32(_base + _pos + total - 4)} does not match header length {total}");
                if (!Skip(total))
                    throw Corrupt(offset, $"truncated block: {total} bytes announced (block type 0x{type:x8})");
                continue;
            }
            if (total > MaxRecordSize)
                throw Corrupt(offset, $"block length {total} exceeds the maximum {MaxRecordSize} (block type 0x{type:x8})");
            if (!Ensure((int)total))
                throw Corrupt(offset, $"truncated block: {total} bytes announced, {_end - _pos} present (block type 0x{type:x8})");
            byte* b = _base + _pos;
            if (U32(b + total - 4) != total)
                throw Corrupt(offset, $"block trailer length {U32(b + total - 4)} does not match header length {total}");
            if (type != PcapNgFormat.InterfaceDescriptionBlock)
                return true;
            ReadInterfaceDescription(b, (int)total, offset);
            _pos += (int)total;
        }
    }

    /// <summary>
    /// A block type the pcapng specification assigns (interface description to decryption secrets, and custom
    /// blocks), as a boundary search accepts in a chain: a block of another type (or of local use) is read, but a
    /// chain through it is not taken, so the search goes on past it.
    /// </summary>
    private static bool IsKnownBlockType(uint type) =>
        type is >= PcapNgFormat.InterfaceDescriptionBlock and <= 0x0000000A or 0x00000BAD or 0x40000BAD;

    /// <summary>Where an Enhanced Packet Block's interface and captured length end (the chain checks them).</summary>
    private const int EnhancedPacketFieldsEnd = 24;

    private static bool IsPacketBlock(uint type) =>
        type is PcapNgFormat.EnhancedPacketBlock or PcapNgFormat.SimplePacketBlock or PcapNgFormat.PacketBlock;

    /// <summary>The packet of the packet block at <paramref name="b"/> (its lengths checked), on an interface of the current section.</summary>
    private Packet PacketOfBlock(byte* b, uint type, uint total, long offset, long number)
    {
        uint iface, captured, original;
        ulong ts;
        int dataOffset;
        switch (type)
        {
            case PcapNgFormat.EnhancedPacketBlock:
                if (total < PcapNgFormat.EnhancedPacketMinimumSize)
                    throw Corrupt(offset, $"enhanced packet block too short ({total} bytes)");
                iface = U32(b + 8);
                ts = (ulong)U32(b + 12) << 32 | U32(b + 16);
                captured = U32(b + 20);
                original = U32(b + 24);
                dataOffset = 28;
                if (captured > total - PcapNgFormat.EnhancedPacketMinimumSize)
                    throw Corrupt(offset, $"enhanced packet block: captured length {captured} exceeds the block ({total} bytes)");
                break;
            case PcapNgFormat.PacketBlock:
                if (total < PcapNgFormat.PacketBlockMinimumSize)
                    throw Corrupt(offset, $"packet block too short ({total} bytes)");
                iface = U16(b + 8);
                ts = (ulong)U32(b + 12) << 32 | U32(b + 16);
                captured = U32(b + 20);
                original = U32(b + 24);
                dataOffset = 28;
                if (captured > total - PcapNgFormat.PacketBlockMinimumSize)
                    throw Corrupt(offset, $"packet block: captured length {captured} exceeds the block ({total} bytes)");
                break;
            default: // Simple Packet Block: interface 0, no timestamp, captured = min(original, snaplen, room).
                if (total < PcapNgFormat.SimplePacketMinimumSize)
                    throw Corrupt(offset, $"simple packet block too short ({total} bytes)");
                iface = 0;
                ts = 0;
                original = U32(b + 8);
                dataOffset = 12;
                captured = Math.Min(original, total - PcapNgFormat.SimplePacketMinimumSize);
                if (_sectionInterfaceCount > 0)
                {
                    int snap = _interfaces[_sectionFirstInterface].SnapLength;
                    if (snap > 0)
                        captured = Math.Min(captured, (uint)snap);
                }
                break;
        }
        if (iface >= (uint)_sectionInterfaceCount)
            throw Corrupt(offset, $"packet refers to interface {iface}, but the section defines {_sectionInterfaceCount}");
        int id = _sectionFirstInterface + (int)iface;
        if (_swap && _linkTypes[id] == LinkType.Null)
            NullHeader.ToHostOrder(b + dataOffset, captured);
        return new Packet(new Span<byte>(b + dataOffset, (int)captured), Length(original), _scales[id].ToNanoseconds(ts),
            _linkTypes[id], id, offset, number);
    }

    /// <summary>
    /// True when <see cref="TryReadAt"/> and <see cref="FindRecordBoundary"/> work: the file is memory-mapped and
    /// reading never rewrites it in place. Reading does rewrite the packets of a LINKTYPE_NULL interface in a section
    /// of the other byte order (their headers are converted as read).
    /// </summary>
    public bool SupportsRandomAccess
    {
        get
        {
            if (!IsMemoryMapped)
                return false;
            for (int id = _sectionFirstInterface; _swap && id < _sectionFirstInterface + _sectionInterfaceCount; id++)
            {
                if (_linkTypes[id] == LinkType.Null)
                    return false;
            }
            return true;
        }
    }

    /// <summary>
    /// Reads the next packet block at or after <paramref name="offset"/> of a memory-mapped file without moving this
    /// reader, and moves <paramref name="offset"/> past it. This is a cursor of the caller's own, so several threads
    /// can read parts of one mapping at once (<see cref="SupportsRandomAccess"/>). Blocks without packets are stepped
    /// over. Packets refer to the interfaces this reader has read so far (see <see cref="SkipToNextPacket"/>), and the
    /// cursor never changes them: it stops and returns false, with <paramref name="offset"/> left at the block, at a
    /// section header or an interface description. It also returns false at the exact end of the file. A block that
    /// is cut short or invalid throws, as <see cref="TryReadNext"/> does. The packet stays valid until the reader is
    /// disposed; its <see cref="Packet.Number"/> is 0.
    /// </summary>
    /// <param name="offset">A block's offset; on return, the offset after the packet's block.</param>
    /// <param name="packet">The packet.</param>
    /// <param name="sequential">
    /// True for a cursor that reads blocks in file order: the blocks ahead are prefetched as by
    /// <see cref="TryReadNext"/>. False for one that jumps between blocks (it prefetches its own with
    /// <see cref="CaptureFileReader.PrefetchRecord"/>).
    /// </param>
    /// <param name="verifyTrailer">
    /// False to skip comparing an Enhanced Packet Block's trailing length with its header, for a block that a cursor has
    /// read before: the comparison loads the block's last cache line, a miss when a cursor jumps between blocks
    /// (measured: 4 % of a two-thread <c>flows stats</c>). The lengths in the header are still checked, so a packet
    /// never reaches outside its block.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadAt(ref long offset, out Packet packet, bool sequential = true, bool verifyTrailer = true) =>
        TryReadAt(MappedStart, MappedLength, ref offset, out packet, sequential, verifyTrailer);

    /// <summary>
    /// <see cref="TryReadAt(ref long, out Packet, bool, bool)"/> over a copy of part of the file that the caller loaded
    /// (<see cref="CaptureFileReader.ReadAt"/>): <paramref name="start"/> is where offset 0 of the file would be, so
    /// that <c>start + offset</c> addresses the copy, and blocks must end by <paramref name="end"/>, the end of the
    /// copy. Any other block (one that does not end there, or is not an ordinary Enhanced Packet Block) is read from
    /// the mapping instead, as by the other overload, so errors and the next offset are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryReadAt(byte* start, long end, ref long offset, out Packet packet, bool sequential, bool verifyTrailer)
    {
        long at = offset, length = end;
        if (start != null && !_swap && (at & 3) == 0
            && (ulong)(at - PcapNgFormat.SectionHeaderMinimumSize) < (ulong)(length - PcapNgFormat.SectionHeaderMinimumSize)
            && TryEnhancedPacket(start + at, length - at, at, 0, out packet, out uint total, verifyTrailer))
        {
            offset = at + total;
            if (sequential)
                Prefetch(start + at, start + offset);
            return true;
        }
        // A section header in the copy stops the cursor as the mapping's would (below), without touching the mapping.
        if (start != null && (at & 3) == 0 && at >= PcapNgFormat.SectionHeaderMinimumSize && length - at >= PcapNgFormat.BlockHeaderSize
            && *(uint*)(start + at) == PcapNgFormat.SectionHeaderBlock)
        {
            packet = default;
            ThrowIfNoRandomAccess(SupportsRandomAccess);
            return false;
        }
        return ReadAtSlow(ref offset, out packet);
    }

    /// <summary>
    /// For a cursor that <see cref="TryReadAt(ref long, out Packet, bool, bool)"/> stopped at a section header: when
    /// that section is of this reader's byte order and describes exactly the interfaces of the current section, block
    /// for block (what <c>cat a.pcapng b.pcapng</c> gives for files from one capture setup), moves
    /// <paramref name="offset"/> past its header and interface descriptions and returns true, so that the cursor
    /// reads on; its packets then carry the current section's interface ids (the reader itself, reading on, gives
    /// the new section's interfaces ids of their own). False, with <paramref name="offset"/> unchanged, for anything
    /// else: the reader itself must read it. The current section is the one this reader is in.
    /// </summary>
    public bool TrySkipRepeatedSection(ref long offset)
    {
        ThrowIfNoRandomAccess(SupportsRandomAccess);
        return TrySkipRepeatedSection(MappedStart, MappedLength, ref offset);
    }

    /// <summary>
    /// <see cref="TrySkipRepeatedSection(ref long)"/> over a copy of part of the file addressed as <c>start + offset</c>,
    /// whose blocks must end by <paramref name="end"/>; false for a section that does not.
    /// </summary>
    internal bool TrySkipRepeatedSection(byte* start, long end, ref long offset)
    {
        long at = offset;
        if (_swap || _section < 0 || (at & 3) != 0 || at < PcapNgFormat.SectionHeaderMinimumSize || end - at < PcapNgFormat.SectionHeaderMinimumSize)
            return false;
        byte* b = start + at;
        uint total = *(uint*)(b + 4);
        if (*(uint*)b != PcapNgFormat.SectionHeaderBlock || *(uint*)(b + 8) != PcapNgFormat.ByteOrderMagic || *(ushort*)(b + 12) != 1
            || total < PcapNgFormat.SectionHeaderMinimumSize || (total & 3) != 0 || total > end - at || *(uint*)(b + total - 4) != total)
        {
            return false;
        }
        at += total;
        foreach (byte[] block in _sectionInterfaceBlocks)
        {
            if (end - at < block.Length || !new ReadOnlySpan<byte>(start + at, block.Length).SequenceEqual(block))
                return false;
            at += block.Length;
        }
        // One more interface is not a repeat; at the end of the copy, the block after cannot be seen.
        if (at == end ? end != MappedLength : end - at >= 4 && *(uint*)(start + at) == PcapNgFormat.InterfaceDescriptionBlock)
            return false;
        offset = at;
        return true;
    }

    /// <summary>Block by block, for <see cref="TryReadAt"/>: every block other than an ordinary Enhanced Packet Block.</summary>
    private bool ReadAtSlow(ref long offset, out Packet packet)
    {
        packet = default;
        ThrowIfNoRandomAccess(SupportsRandomAccess);
        byte* start = MappedStart;
        long length = MappedLength;
        if (offset < PcapNgFormat.SectionHeaderMinimumSize || offset > length || (offset & 3) != 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"not a block offset of a {length}-byte pcapng file");
        for (long at = offset; at < length; at = offset)
        {
            if (length - at < PcapNgFormat.BlockHeaderSize)
                throw Corrupt(at, $"truncated block header: {length - at} of {PcapNgFormat.BlockHeaderSize} bytes present");
            byte* b = start + at;
            if (*(uint*)b == PcapNgFormat.SectionHeaderBlock)
                return false; // a new section, perhaps of the other byte order: for the reader itself
            uint type = U32(b), total = U32(b + 4);
            if (total < PcapNgFormat.MinimumBlockSize || (total & 3) != 0)
                throw Corrupt(at, $"invalid block length {total} (block type 0x{type:x8})");
            if (total > length - at)
                throw Corrupt(at, $"truncated block: {total} bytes announced, {length - at} present (block type 0x{type:x8})");
            if (U32(b + total - 4) != total)
                throw Corrupt(at, $"block trailer length {U32(b + total - 4)} does not match header length {total}");
            if (type == PcapNgFormat.InterfaceDescriptionBlock)
                return false; // a new interface: likewise
            offset = at + total;
            if (IsPacketBlock(type))
            {
                if (total > MaxRecordSize)
                    throw Corrupt(at, $"block length {total} exceeds the maximum {MaxRecordSize} (block type 0x{type:x8})");
                packet = PacketOfBlock(b, type, total, at, 0);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The first offset in [<paramref name="from"/>, <paramref name="limit"/>) of a memory-mapped file where a block
    /// plausibly starts; -1 when there is none. Blocks start at multiples of 4. A plausible start begins a chain of
    /// <paramref name="confirm"/> blocks in a row, or of every block up to the end of the file or the next section
    /// header. In the chain, each block is of a type the specification assigns, and its length is a multiple of 4,
    /// from 12 bytes to 16 MiB, and is repeated in its trailer. Each Enhanced Packet Block refers to an interface of
    /// the current section and holds its captured bytes. Bytes inside a packet can still mimic such a chain (a
    /// captured pcapng file, say): splitting a file for parallel readers, a caller must check that the reader of the
    /// part before lands exactly on the start found.
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
        for (long at = Math.Max((from + 3) & ~3L, PcapNgFormat.SectionHeaderMinimumSize); at < limit; at += 4)
        {
            RecordChain chain = at < begin ? RecordChain.Cut : ChainsFrom(start, end, length, at, confirm);
            if (chain == RecordChain.Found)
                return at;
            if (chain == RecordChain.Cut)
            {
                inconclusive = true;
                return -1;
            }
        }
        inconclusive = limit < wanted; // the copy ended before the range searched did
        return -1;
    }

    /// <summary>
    /// Whether <paramref name="confirm"/> plausible blocks chain from <paramref name="at"/> in bytes addressed as
    /// <c>start + offset</c> up to <paramref name="end"/> of a file of <paramref name="length"/> bytes
    /// (<see cref="RecordChain.Cut"/> when the chain needs bytes past <paramref name="end"/> to tell).
    /// </summary>
    private RecordChain ChainsFrom(byte* start, long end, long length, long at, int confirm)
    {
        for (int i = 0; i < confirm; i++)
        {
            if (at == length)
                return i > 0 ? RecordChain.Found : RecordChain.None;
            if (length - at < PcapNgFormat.MinimumBlockSize)
                return RecordChain.None;
            if (end - at < PcapNgFormat.MinimumBlockSize)
                return RecordChain.Cut;
            byte* b = start + at;
            if (*(uint*)b == PcapNgFormat.SectionHeaderBlock) // the next section may be of the other byte order: the chain ends here
                return i > 0 ? RecordChain.Found : RecordChain.None;
            uint type = U32(b), total = U32(b + 4);
            // The length is checked before the trailer is read: a wild length would touch a page far away. So are the
            // type and a packet block's fields, which bytes of a packet rarely pass: in a copy, a candidate that passes
            // them and reaches past the copy's end leaves the search unable to tell.
            if (!IsKnownBlockType(type) || total < PcapNgFormat.MinimumBlockSize || (total & 3) != 0 || total > MaxRecordSize
                || total > length - at)
                return RecordChain.None;
            if (type == PcapNgFormat.EnhancedPacketBlock)
            {
                if (total < PcapNgFormat.EnhancedPacketMinimumSize)
                    return RecordChain.None;
                if (end - at < EnhancedPacketFieldsEnd)
                    return RecordChain.Cut;
                if (U32(b + 8) >= (uint)_sectionInterfaceCount || U32(b + 20) > total - PcapNgFormat.EnhancedPacketMinimumSize)
                    return RecordChain.None;
            }
            if (total > end - at)
                return RecordChain.Cut;
            if (U32(b + total - 4) != total)
                return RecordChain.None;
            at += total;
        }
        return RecordChain.Found;
    }

    private void ReadSectionHeader(long offset)
    {
        if (!Ensure(PcapNgFormat.SectionHeaderMinimumSize))
            throw Corrupt(offset, $"truncated section header block: {_end - _pos} of {PcapNgFormat.SectionHeaderMinimumSize} bytes present");
        byte* b = _base + _pos;
        uint bom = *(uint*)(b + 8);
        _swap = bom switch
        {
            PcapNgFormat.ByteOrderMagic => false,
            PcapNgFormat.ByteOrderMagicSwapped => true,
            _ => throw Corrupt(offset, $"section header block: bad byte-order magic 0x{bom:x8}"),
        };
        uint total = U32(b + 4);
        if (total < PcapNgFormat.SectionHeaderMinimumSize || (total & 3) != 0 || total > MaxRecordSize)
            throw Corrupt(offset, $"section header block: invalid length {total}");
        ushort major = U16(b + 12);
        if (major != 1)
            throw Corrupt(offset, $"unsupported pcapng version {major}.{U16(b + 14)}");
        if (!Ensure((int)total))
            throw Corrupt(offset, $"truncated section header block: {total} bytes announced, {_end - _pos} present");
        b = _base + _pos;
        if (U32(b + total - 4) != total)
            throw Corrupt(offset, $"block trailer length {U32(b + total - 4)} does not match header length {total}");
        _section++;
        _sectionFirstInterface = _interfaces.Count;
        _sectionInterfaceCount = 0;
        _sectionInterfaceBlocks.Clear();
        _pos += (int)total;
    }

    private void ReadInterfaceDescription(byte* b, int total, long offset)
    {
        if (total < PcapNgFormat.InterfaceDescriptionMinimumSize)
            throw Corrupt(offset, $"interface description block too short ({total} bytes)");
        var linkType = (LinkType)U16(b + 8);
        uint snap = U32(b + 12);
        string? name = null, description = null;
        byte resolutionCode = 6;
        long offsetSeconds = 0;
        // Options: code, length, value padded to 4 bytes; stop at opt_endofopt or the block's end.
        int p = 16, end = total - 4;
        while (p + 4 <= end)
        {
            ushort code = U16(b + p);
            ushort length = U16(b + p + 2);
            if (code == PcapNgFormat.OptEndOfOpt)
                break;
            int padded = (length + 3) & ~3;
            if (p + 4 + padded > end)
                throw Corrupt(offset + p, $"interface option {code} overruns its block ({length} bytes)");
            byte* v = b + p + 4;
            switch (code)
            {
                case PcapNgFormat.IfName when length > 0:
                    name = Utf8(v, length);
                    break;
                case PcapNgFormat.IfDescription when length > 0:
                    description = Utf8(v, length);
                    break;
                case PcapNgFormat.IfTsResol when length == 1:
                    resolutionCode = *v;
                    break;
                case PcapNgFormat.IfTsOffset when length == 8:
                    offsetSeconds = (long)(_swap ? BinaryPrimitives.ReverseEndianness(*(ulong*)v) : *(ulong*)v);
                    break;
            }
            p += 4 + padded;
        }
        if (!TimestampScale.TryCreate(resolutionCode, offsetSeconds, out TimestampScale scale, out ulong unitsPerSecond))
            throw Corrupt(offset, $"interface description block: unsupported timestamp resolution code 0x{resolutionCode:x2}");
        int id = _interfaces.Count;
        if (id == _linkTypes.Length)
        {
            Array.Resize(ref _linkTypes, id * 2);
            Array.Resize(ref _scales, id * 2);
        }
        _linkTypes[id] = linkType;
        _scales[id] = scale;
        _interfaces.Add(new CaptureInterface(id, linkType, (int)Math.Min(snap, int.MaxValue), name, description, unitsPerSecond, _section));
        _sectionInterfaceCount++;
        _sectionInterfaceBlocks.Add(new ReadOnlySpan<byte>(b, total).ToArray());
    }

    private static string Utf8(byte* p, int length)
    {
        var span = new ReadOnlySpan<byte>(p, length);
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? span[..nul] : span);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint U32(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(uint*)p) : *(uint*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort U16(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(ushort*)p) : *(ushort*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Length(uint length) => length > int.MaxValue ? int.MaxValue : (int)length;
}
