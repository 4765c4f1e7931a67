namespace Tributary.Testing;

/// <summary>Protocol Buffers wire types (encoding guide: varint, I64, LEN, I32; groups are not used by OTLP).</summary>
public enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}
