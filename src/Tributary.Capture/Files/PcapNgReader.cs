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
        // Fast path: an Enhanced Packet Block wholly in the buffer, on a known interface.
        int pos = _pos;
        int available = _end - pos;
        if (available >= PcapNgFormat.EnhancedPacketMinimumSize)
        {
            byte* b = _base + pos;
            uint total = U32(b + 4);
            if (U32(b) == PcapNgFormat.EnhancedPacketBlock && total <= (uint)available && (total & 3) == 0
                && total >= PcapNgFormat.EnhancedPacketMinimumSize)
            {
                uint iface = U32(b + 8);
                uint captured = U32(b + 20);
                if (iface < (uint)_sectionInterfaceCount && captured <= total - PcapNgFormat.EnhancedPacketMinimumSize
                    && U32(b + total - 4) == total)
                {
                    int id = _sectionFirstInterface + (int)iface;
                    ulong ts = (ulong)U32(b + 12) << 32 | U32(b + 16);
                    _pos = pos + (int)total;
                    Prefetch(b, _base + _pos);
                    if (_swap && _linkTypes[id] == LinkType.Null)
                        NullHeader.ToHostOrder(b + 28, captured);
                    packet = new Packet(new Span<byte>(b + 28, (int)captured), Length(U32(b + 24)), _scales[id].ToNanoseconds(ts),
                        _linkTypes[id], id, _bufferOffset + pos, ++PacketsRead);
                    return true;
                }
            }
        }
        return ReadSlow(out packet);
    }

    /// <summary>Block by block: section and interface blocks update the state; packets are returned; the rest skipped.</summary>
    private bool ReadSlow(out Packet packet)
    {
        packet = default;
        if (IsDisposed)
            throw new ObjectDisposedException(GetType().FullName);
        while (true)
        {
            long offset = Position;
            if (!Ensure(PcapNgFormat.BlockHeaderSize))
            {
                if (_end == _pos)
                    return false;
                throw Corrupt(offset, $"truncated block header: {_end - _pos} of {PcapNgFormat.BlockHeaderSize} bytes present");
            }
            uint type = *(uint*)(_base + _pos);
            if (type == PcapNgFormat.SectionHeaderBlock)
            {
                ReadSectionHeader(offset);
                continue;
            }
            if (_section < 0)
                throw Corrupt(offset, "first block is not a section header block");
            uint total = U32(_base + _pos + 4);
            if (total < PcapNgFormat.MinimumBlockSize || (total & 3) != 0)
                throw Corrupt(offset, $"invalid block length {total} (block type 0x{U32(_base + _pos):x8})");
            type = U32(_base + _pos);
            bool isPacket = type is PcapNgFormat.EnhancedPacketBlock or PcapNgFormat.SimplePacketBlock or PcapNgFormat.PacketBlock;
            if (!isPacket && type != PcapNgFormat.InterfaceDescriptionBlock)
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
            if (type == PcapNgFormat.InterfaceDescriptionBlock)
            {
                ReadInterfaceDescription(b, (int)total, offset);
                _pos += (int)total;
                continue;
            }
            return ReadPacketBlock(b, type, total, offset, out packet);
        }
    }

    private bool ReadPacketBlock(byte* b, uint type, uint total, long offset, out Packet packet)
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
        _pos += (int)total;
        if (_swap && _linkTypes[id] == LinkType.Null)
            NullHeader.ToHostOrder(b + dataOffset, captured);
        packet = new Packet(new Span<byte>(b + dataOffset, (int)captured), Length(original), _scales[id].ToNanoseconds(ts),
            _linkTypes[id], id, offset, ++PacketsRead);
        return true;
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
