using System.Buffers.Binary;
using System.Text;

namespace Tributary.Capture.Files;

/// <summary>
/// Writes pcapng (little-endian): one section header, an Interface Description Block for each
/// (interface id, link type) seen (nanosecond resolution, if_tsresol 9), and Enhanced Packet Blocks.
/// Several link types in one file are fine.
/// </summary>
public sealed class PcapNgWriter : CaptureWriter
{
    private const byte NanosecondResolution = 9;
    private readonly Dictionary<(int Interface, LinkType LinkType), int> _interfaces = [];
    private readonly int _snapLength;
    private byte[] _block = new byte[4096];

    /// <summary>Starts a pcapng stream: writes the section header block.</summary>
    public PcapNgWriter(Stream stream, int snapLength = 0, string? application = "tributary", bool leaveOpen = false)
        : base(stream, leaveOpen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapLength);
        _snapLength = snapLength;
        var options = new List<(ushort, byte[])>();
        if (application is not null)
            options.Add((4 /* shb_userappl */, Encoding.UTF8.GetBytes(application)));
        Span<byte> body = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(body, PcapNgFormat.ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(body[4..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], -1);  // section length unknown
        WriteBlock(PcapNgFormat.SectionHeaderBlock, body, options);
    }

    /// <summary>Creates (or replaces) a pcapng file.</summary>
    public static PcapNgWriter Create(string path, int snapLength = 0) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), snapLength);

    /// <summary>
    /// Declares an interface up front (name and description are written as if_name / if_description);
    /// otherwise interfaces are declared when their first packet is written. Returns the file's interface id.
    /// </summary>
    public int AddInterface(int interfaceId, LinkType linkType, string? name = null, string? description = null)
    {
        ThrowIfDisposed();
        if (_interfaces.TryGetValue((interfaceId, linkType), out int id))
            return id;
        id = _interfaces.Count;
        _interfaces[(interfaceId, linkType)] = id;
        Span<byte> body = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)linkType);
        BinaryPrimitives.WriteUInt16LittleEndian(body[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], (uint)_snapLength);
        var options = new List<(ushort, byte[])>();
        if (name is not null)
            options.Add((PcapNgFormat.IfName, Encoding.UTF8.GetBytes(name)));
        if (description is not null)
            options.Add((PcapNgFormat.IfDescription, Encoding.UTF8.GetBytes(description)));
        options.Add((PcapNgFormat.IfTsResol, [NanosecondResolution]));
        WriteBlock(PcapNgFormat.InterfaceDescriptionBlock, body, options);
        return id;
    }

    public override void Write(ReadOnlySpan<byte> data, int originalLength, long timestampNanoseconds, LinkType linkType, int interfaceId = 0)
    {
        ThrowIfDisposed();
        int id = AddInterface(interfaceId, linkType);
        if (_snapLength > 0 && data.Length > _snapLength)
            data = data[.._snapLength];
        int padded = (data.Length + 3) & ~3;
        int total = PcapNgFormat.EnhancedPacketMinimumSize + padded;
        if (_block.Length < total)
            _block = new byte[Math.Max(total, _block.Length * 2)];
        Span<byte> b = _block.AsSpan(0, total);
        ulong ts = (ulong)timestampNanoseconds;
        BinaryPrimitives.WriteUInt32LittleEndian(b, PcapNgFormat.EnhancedPacketBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], (uint)id);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)(ts >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)ts);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)Math.Max(originalLength, data.Length));
        data.CopyTo(b[28..]);
        b.Slice(28 + data.Length, padded - data.Length).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b[(total - 4)..], (uint)total);
        Stream.Write(b);
        PacketsWritten++;
    }

    private void WriteBlock(uint type, ReadOnlySpan<byte> body, List<(ushort Code, byte[] Value)> options)
    {
        int optionsLength = 0;
        foreach (var (_, value) in options)
            optionsLength += 4 + ((value.Length + 3) & ~3);
        if (options.Count > 0)
            optionsLength += 4;   // opt_endofopt
        int total = 8 + body.Length + optionsLength + 4;
        var b = new byte[total];
        BinaryPrimitives.WriteUInt32LittleEndian(b, type);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)total);
        body.CopyTo(b.AsSpan(8));
        int p = 8 + body.Length;
        foreach (var (code, value) in options)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p), code);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p + 2), (ushort)value.Length);
            value.CopyTo(b.AsSpan(p + 4));
            p += 4 + ((value.Length + 3) & ~3);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(total - 4), (uint)total);
        Stream.Write(b);
    }
}
