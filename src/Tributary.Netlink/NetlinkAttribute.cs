using System.Buffers.Binary;
using System.Text;

namespace Tributary.Netlink;

/// <summary>
/// One netlink attribute (<c>struct nlattr</c> + payload). Typed reads check the payload length and
/// report failure instead of reading out of bounds, because attributes come from outside.
/// </summary>
public readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> payload)
    {
        RawType = rawType;
        Payload = payload;
    }

    /// <summary>The type with the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits masked off.</summary>
    public ushort Type => (ushort)(RawType & Interop.Netlink.NLA_TYPE_MASK);

    /// <summary>The type as it was on the wire.</summary>
    public ushort RawType { get; }

    public bool IsNested => (RawType & Interop.Netlink.NLA_F_NESTED) != 0;

    public ReadOnlySpan<byte> Payload { get; }

    public bool TryGetU8(out byte value)
    {
        value = Payload.Length >= 1 ? Payload[0] : (byte)0;
        return Payload.Length >= 1;
    }

    public bool TryGetU16(out ushort value) => BinaryPrimitives.TryReadUInt16LittleEndian(Payload, out value);

    public bool TryGetU32(out uint value) => BinaryPrimitives.TryReadUInt32LittleEndian(Payload, out value);

    public bool TryGetS32(out int value) => BinaryPrimitives.TryReadInt32LittleEndian(Payload, out value);

    public bool TryGetU64(out ulong value) => BinaryPrimitives.TryReadUInt64LittleEndian(Payload, out value);

    /// <summary>A 16-bit value in network byte order (ports in MPTCP events).</summary>
    public bool TryGetBigEndianU16(out ushort value) => BinaryPrimitives.TryReadUInt16BigEndian(Payload, out value);

    /// <summary>A 32-bit value in network byte order.</summary>
    public bool TryGetBigEndianU32(out uint value) => BinaryPrimitives.TryReadUInt32BigEndian(Payload, out value);

    public byte GetU8() => TryGetU8(out byte v) ? v : throw Short(1);

    public ushort GetU16() => TryGetU16(out ushort v) ? v : throw Short(2);

    public uint GetU32() => TryGetU32(out uint v) ? v : throw Short(4);

    public int GetS32() => TryGetS32(out int v) ? v : throw Short(4);

    public ulong GetU64() => TryGetU64(out ulong v) ? v : throw Short(8);

    /// <summary>The payload up to its first NUL byte (NLA_STRING / NLA_NUL_STRING).</summary>
    public ReadOnlySpan<byte> StringBytes
    {
        get
        {
            int nul = Payload.IndexOf((byte)0);
            return nul >= 0 ? Payload[..nul] : Payload;
        }
    }

    /// <summary>The payload as a UTF-8 string up to its first NUL byte (allocates).</summary>
    public string GetString() => Encoding.UTF8.GetString(StringBytes);

    /// <summary>Compares the string payload with <paramref name="utf8"/> without allocating.</summary>
    public bool StringEquals(ReadOnlySpan<byte> utf8) => StringBytes.SequenceEqual(utf8);

    /// <summary>The attributes nested inside this one.</summary>
    public NetlinkAttributeReader Nested => new(Payload);

    private NetlinkProtocolException Short(int size) =>
        new($"netlink attribute {Type} has {Payload.Length} bytes, {size} expected");
}

/// <summary>Walks a run of attributes without allocating; a bad length stops the walk and sets <see cref="Malformed"/>.</summary>
public ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _rest;
    private NetlinkAttribute _current;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes)
        : this(attributes, malformed: false)
    {
    }

    internal NetlinkAttributeReader(ReadOnlySpan<byte> attributes, bool malformed)
    {
        _rest = attributes;
        _current = default;
        Malformed = malformed;
    }

    /// <summary>True once an attribute length was found inconsistent with the bytes that hold it.</summary>
    public bool Malformed { get; private set; }

    public readonly NetlinkAttribute Current => _current;

    /// <summary>
    /// For <c>foreach</c>. It enumerates a copy, so <see cref="Malformed"/> of this variable does not
    /// move: when you need it after the walk, loop with <c>while (reader.MoveNext())</c> on the variable itself.
    /// </summary>
    public readonly NetlinkAttributeReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (Malformed)
            return false;
        // Trailing bytes shorter than an attribute header are alignment padding.
        if (_rest.Length < Interop.Netlink.NLA_HDRLEN)
            return false;
        ushort len = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
        if (len < Interop.Netlink.NLA_HDRLEN || len > _rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }
        _current = new NetlinkAttribute(type, _rest[Interop.Netlink.NLA_HDRLEN..len]);
        _rest = _rest[Math.Min(Interop.Netlink.NLA_ALIGN(len), _rest.Length)..];
        return true;
    }
}
