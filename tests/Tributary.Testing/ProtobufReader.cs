using System.Buffers.Binary;

namespace Tributary.Testing;

/// <summary>
/// A minimal reader of the Protocol Buffers wire format, for the OTLP bodies the test collector receives: field keys,
/// varints, fixed 64/32-bit values and length-delimited fields (strings, bytes, nested messages). Written for the tests
/// so that they decode what the exporter sent without the generated OTLP classes (no such package is at hand). Anything
/// malformed throws <see cref="InvalidDataException"/>.
/// </summary>
public struct ProtobufReader(ReadOnlyMemory<byte> data)
{
    private readonly ReadOnlyMemory<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool TryReadKey(out int field, out WireType type)
    {
        field = 0;
        type = default;
        if (End)
            return false;
        ulong key = ReadVarint();
        field = (int)(key >> 3);
        type = (WireType)(key & 7);
        if (key >> 3 is 0 or > 536_870_911 || type is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw new InvalidDataException($"bad field key {key} at {_position}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (End)
                throw new InvalidDataException("varint runs past the end");
            byte b = _data.Span[_position++];
            if (shift == 63 && b > 1)
                throw new InvalidDataException("varint longer than 64 bits");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("varint longer than 10 bytes");
    }

    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span);

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span);

    public ReadOnlyMemory<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > int.MaxValue)
            throw new InvalidDataException($"length {length} too large");
        return Take((int)length);
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadLengthDelimited().Span);

    public ProtobufReader ReadMessage() => new(ReadLengthDelimited());

    /// <summary>Skips the value of a field of wire type <paramref name="type"/>.</summary>
    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Take(8);
                break;
            case WireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                Take(4);
                break;
            default:
                throw new InvalidDataException($"wire type {type}");
        }
    }

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > _data.Length - _position)
            throw new InvalidDataException($"{count} bytes at {_position} run past the end ({_data.Length})");
        ReadOnlyMemory<byte> slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
