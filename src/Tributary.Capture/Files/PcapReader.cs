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
                packet = new Packet(new Span<byte>(h + PcapFormat.RecordHeaderSize, (int)captured), Length(U32(h + 12)),
                    U32(h) * 1_000_000_000L + U32(h + 4) * _fractionToNanoseconds, _linkType, 0, _bufferOffset + pos, ++PacketsRead);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint U32(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(uint*)p) : *(uint*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort U16(byte* p) => _swap ? BinaryPrimitives.ReverseEndianness(*(ushort*)p) : *(ushort*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Length(uint length) => length > int.MaxValue ? int.MaxValue : (int)length;
}
