using System.Buffers.Binary;

namespace Tributary.Flows.Tests.Telemetry;

/// <summary>
/// The test-only protobuf reader that the OTLP tests rely on: fields written by an independent little encoder read back
/// as written (known vectors from the encoding guide, random messages), and random or cut bytes give only
/// <see cref="InvalidDataException"/>, never another exception or a hang.
/// </summary>
public sealed class ProtobufReaderTests
{
    [Fact]
    public void Known_encodings_from_the_protobuf_guide()
    {
        // "08 96 01": field 1, varint 150. "12 07 74 65 73 74 69 6e 67": field 2, "testing".
        var r = new ProtobufReader(new byte[] { 0x08, 0x96, 0x01, 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67 });
        Assert.True(r.TryReadKey(out int field, out WireType type));
        Assert.Equal((1, WireType.Varint), (field, type));
        Assert.Equal(150UL, r.ReadVarint());
        Assert.True(r.TryReadKey(out field, out type));
        Assert.Equal((2, WireType.LengthDelimited), (field, type));
        Assert.Equal("testing", r.ReadString());
        Assert.False(r.TryReadKey(out _, out _));
        // The largest varint (ten bytes) and an eleventh byte too many.
        byte[] max = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        Assert.Equal(ulong.MaxValue, new ProtobufReader(max).ReadVarint());
        Assert.Throws<InvalidDataException>(() => new ProtobufReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }).ReadVarint());
        Assert.Throws<InvalidDataException>(() => new ProtobufReader(new byte[] { 0x0A, 0x05, 0x01 }).ReadMessage()); // 5 bytes promised, 1 there
    }

    public static TheoryData<int> Seeds() => FuzzSeeds.Of(1, 2, 3, 4, 5, 6, 7, 8);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_messages_read_back_as_written(int seed)
    {
        var random = new Random(seed);
        var fields = new List<(int Field, WireType Type, object Value)>();
        var message = new MemoryStream();
        Span<byte> b8 = stackalloc byte[8];
        Span<byte> b4 = stackalloc byte[4];
        for (int i = random.Next(1, 40); i > 0; i--)
        {
            int field = random.Next(1, 1 << random.Next(1, 29));
            var type = (WireType)new[] { 0, 1, 2, 5 }[random.Next(4)];
            object value;
            WriteVarint(message, (ulong)field << 3 | (ulong)type);
            switch (type)
            {
                case WireType.Varint:
                    ulong v = (ulong)random.NextInt64() >> random.Next(64) | (random.Next(8) == 0 ? 1UL << 63 : 0);
                    WriteVarint(message, v);
                    value = v;
                    break;
                case WireType.Fixed64:
                    ulong f = (ulong)random.NextInt64() * 3;
                    BinaryPrimitives.WriteUInt64LittleEndian(b8, f);
                    message.Write(b8);
                    value = f;
                    break;
                case WireType.Fixed32:
                    uint g = (uint)random.Next() * 3;
                    BinaryPrimitives.WriteUInt32LittleEndian(b4, g);
                    message.Write(b4);
                    value = g;
                    break;
                default:
                    byte[] bytes = new byte[random.Next(0, random.Next(2) == 0 ? 10 : 400)];
                    random.NextBytes(bytes);
                    WriteVarint(message, (ulong)bytes.Length);
                    message.Write(bytes);
                    value = bytes;
                    break;
            }
            fields.Add((field, type, value));
        }
        var r = new ProtobufReader(message.ToArray());
        foreach ((int field, WireType type, object value) in fields)
        {
            Assert.True(r.TryReadKey(out int f, out WireType t));
            Assert.Equal((field, type), (f, t));
            object read = type switch
            {
                WireType.Varint => r.ReadVarint(),
                WireType.Fixed64 => r.ReadFixed64(),
                WireType.Fixed32 => r.ReadFixed32(),
                _ => r.ReadLengthDelimited().ToArray(),
            };
            Assert.Equal(value, read);
        }
        Assert.True(r.End);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_and_cut_bytes_give_only_invalid_data(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++)
        {
            byte[] bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            try
            {
                OtlpMetricsRequest.Decode(bytes); // the OTLP decoder walks nested messages with the reader
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}
