using System.Buffers.Binary;
using System.Text;

namespace Tributary.Capture.Tests.Files;

/// <summary>Hand-builds pcapng bytes (either byte order, any option) for reader tests.</summary>
public sealed class PcapNgBuilder
{
    private readonly MemoryStream _out = new();
    private bool _big;

    public byte[] ToArray() => _out.ToArray();

    public void Section(bool bigEndian)
    {
        _big = bigEndian;
        var body = new byte[16];
        U32(body, 0, 0x1A2B3C4D);
        U16(body, 4, 1);
        U16(body, 6, 0);
        U64(body, 8, ulong.MaxValue);
        Block(0x0A0D0D0A, body);
    }

    public void Interface(LinkType linkType, byte resolution, long offsetSeconds, string? name = null)
    {
        var body = new List<byte>();
        var fixedPart = new byte[8];
        U16(fixedPart, 0, (ushort)linkType);
        U32(fixedPart, 4, 0);
        body.AddRange(fixedPart);
        if (name is not null)
            body.AddRange(Option(2, Encoding.UTF8.GetBytes(name)));
        body.AddRange(Option(9, [resolution]));
        var off = new byte[8];
        U64(off, 0, (ulong)offsetSeconds);
        body.AddRange(Option(14, off));
        body.AddRange(Option(0xBEEF, [1, 2, 3]));   // unknown option: skipped
        body.AddRange(new byte[4]);                  // opt_endofopt
        Block(1, [.. body]);
    }

    public void Enhanced(int iface, ulong timestamp, byte[] data, int originalLength, string? comment = null)
    {
        var body = new List<byte>();
        var h = new byte[20];
        U32(h, 0, (uint)iface);
        U32(h, 4, (uint)(timestamp >> 32));
        U32(h, 8, (uint)timestamp);
        U32(h, 12, (uint)data.Length);
        U32(h, 16, (uint)originalLength);
        body.AddRange(h);
        body.AddRange(data);
        body.AddRange(new byte[(4 - data.Length % 4) % 4]);
        if (comment is not null)
        {
            body.AddRange(Option(1, Encoding.UTF8.GetBytes(comment)));
            body.AddRange(new byte[4]);
        }
        Block(6, [.. body]);
    }

    public void Simple(byte[] data)
    {
        var body = new List<byte>();
        var h = new byte[4];
        U32(h, 0, (uint)data.Length);
        body.AddRange(h);
        body.AddRange(data);
        body.AddRange(new byte[(4 - data.Length % 4) % 4]);
        Block(3, [.. body]);
    }

    public void Block(uint type, byte[] body)
    {
        int padded = (body.Length + 3) & ~3;
        var b = new byte[12 + padded];
        U32(b, 0, type);
        U32(b, 4, (uint)b.Length);
        body.CopyTo(b, 8);
        U32(b, b.Length - 4, (uint)b.Length);
        _out.Write(b);
    }

    private byte[] Option(ushort code, byte[] value)
    {
        var b = new byte[4 + ((value.Length + 3) & ~3)];
        U16(b, 0, code);
        U16(b, 2, (ushort)value.Length);
        value.CopyTo(b, 4);
        return b;
    }

    private void U16(byte[] b, int at, ushort v)
    {
        if (_big) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    }

    private void U32(byte[] b, int at, uint v)
    {
        if (_big) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    }

    private void U64(byte[] b, int at, ulong v)
    {
        if (_big) BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
    }
}
