using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Tributary.Netlink;

/// <summary>
/// Builds one netlink request into a caller-supplied buffer (usually <c>stackalloc</c>): header,
/// family header, attributes and nests, all 4-byte aligned. Allocates nothing.
/// </summary>
public ref struct NetlinkMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public NetlinkMessageWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _position;

    /// <summary>Starts the message: a 16-byte <c>nlmsghdr</c> whose length <see cref="Finish"/> fills in.</summary>
    public void BeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence = 0, uint portId = 0)
    {
        _position = 0;
        Span<byte> h = Take(Interop.Netlink.NLMSG_HDRLEN);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], portId);
    }

    /// <summary>Appends a fixed family header (ifinfomsg, ifaddrmsg, rtmsg …).</summary>
    public void WriteHeader<T>(in T header) where T : unmanaged
    {
        Span<byte> s = Take(Unsafe.SizeOf<T>());
        MemoryMarshal.Write(s, in header);
    }

    /// <summary>Appends a <c>genlmsghdr</c>.</summary>
    public void WriteGenericHeader(byte command, byte version)
    {
        Span<byte> s = Take(Interop.GenNetlink.GENL_HDRLEN);
        s[0] = command;
        s[1] = version;
    }

    /// <summary>Reserves <paramref name="length"/> zeroed bytes (aligned) and returns them for filling in.</summary>
    public Span<byte> Reserve(int length) => Take(length);

    public void PutFlag(ushort type) => PutAttributeHeader(type, 0);

    public void PutU8(ushort type, byte value) => Attribute(type, 1)[0] = value;

    public void PutU16(ushort type, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Attribute(type, 2), value);

    public void PutU32(ushort type, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Attribute(type, 4), value);

    public void PutS32(ushort type, int value) => BinaryPrimitives.WriteInt32LittleEndian(Attribute(type, 4), value);

    public void PutU64(ushort type, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Attribute(type, 8), value);

    /// <summary>A 16-bit value in network byte order.</summary>
    public void PutBigEndianU16(ushort type, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Attribute(type, 2), value);

    public void PutBytes(ushort type, scoped ReadOnlySpan<byte> value) => value.CopyTo(Attribute(type, value.Length));

    /// <summary>A NUL-terminated string attribute.</summary>
    public void PutString(ushort type, scoped ReadOnlySpan<char> value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        Span<byte> s = Attribute(type, n + 1);
        Encoding.UTF8.GetBytes(value, s);
        s[n] = 0;
    }

    /// <summary>Opens a nested attribute (NLA_F_NESTED set); close it with <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _position;
        PutAttributeHeader((ushort)(type | Interop.Netlink.NLA_F_NESTED), 0);
        return start;
    }

    public void EndNested(int token)
    {
        if ((uint)token >= (uint)_position)
            throw new ArgumentOutOfRangeException(nameof(token));
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[token..], checked((ushort)(_position - token)));
    }

    /// <summary>Fills in <c>nlmsg_len</c> and returns the finished message.</summary>
    public readonly Span<byte> Finish()
    {
        if (_position < Interop.Netlink.NLMSG_HDRLEN)
            throw new InvalidOperationException("BeginMessage was not called");
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_position);
        return _buffer[.._position];
    }

    private Span<byte> Attribute(ushort type, int payloadLength)
    {
        PutAttributeHeader(type, payloadLength);
        return _buffer.Slice(_position - Interop.Netlink.NLA_ALIGN(payloadLength), payloadLength);
    }

    private void PutAttributeHeader(ushort type, int payloadLength)
    {
        int total = Interop.Netlink.NLA_HDRLEN + payloadLength;
        if (total > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(payloadLength), "netlink attribute longer than 65535 bytes");
        Span<byte> s = Take(total);
        BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)total);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], type);
    }

    private Span<byte> Take(int length)
    {
        int aligned = Interop.Netlink.NLMSG_ALIGN(length);
        if (_position + aligned > _buffer.Length)
            throw new InvalidOperationException($"netlink request does not fit in its {_buffer.Length}-byte buffer");
        Span<byte> s = _buffer.Slice(_position, aligned);
        s.Clear();
        _position += aligned;
        return s[..length];
    }
}
