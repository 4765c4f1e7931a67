using System.Buffers.Binary;

namespace Tributary.Flows.Tests.Support;

/// <summary>
/// A reader of IPFIX messages (RFC 7011) written independently of the writer: it learns the templates from the
/// template sets it meets, as a collector does, and checks every header, set length and sequence number on the way.
/// Numeric fields come back as unsigned numbers, addresses as their bytes.
/// </summary>
internal sealed class IpfixMessages
{
    private readonly Dictionary<ushort, (ushort Id, ushort Length)[]> _templates = [];
    private long _dataRecords;

    /// <summary>The data records read so far, each as element id → value bytes.</summary>
    public List<Dictionary<ushort, byte[]>> Records { get; } = [];

    /// <summary>Messages read so far.</summary>
    public int Messages { get; private set; }

    /// <summary>Reads one message; throws <see cref="InvalidDataException"/> on anything RFC 7011 does not allow.</summary>
    public void Read(ReadOnlySpan<byte> message)
    {
        if (message.Length < 16)
            throw new InvalidDataException($"message of {message.Length} bytes, shorter than its header");
        if (BinaryPrimitives.ReadUInt16BigEndian(message) != 10)
            throw new InvalidDataException($"version {BinaryPrimitives.ReadUInt16BigEndian(message)}, not 10");
        if (BinaryPrimitives.ReadUInt16BigEndian(message[2..]) != message.Length)
            throw new InvalidDataException($"length field {BinaryPrimitives.ReadUInt16BigEndian(message[2..])} of a {message.Length}-byte message");
        // The sequence number counts the data records of the earlier messages (§3.1).
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(message[8..]);
        if (sequence != (uint)_dataRecords)
            throw new InvalidDataException($"sequence number {sequence} after {_dataRecords} data records");
        Messages++;
        ReadOnlySpan<byte> sets = message[16..];
        while (sets.Length > 0)
        {
            if (sets.Length < 4)
                throw new InvalidDataException($"{sets.Length} bytes left after the last set");
            ushort setId = BinaryPrimitives.ReadUInt16BigEndian(sets);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(sets[2..]);
            if (setLength < 4 || setLength > sets.Length)
                throw new InvalidDataException($"set {setId} of length {setLength} with {sets.Length} bytes left");
            ReadOnlySpan<byte> body = sets[4..setLength];
            if (setId == 2)
                ReadTemplates(body);
            else if (setId >= 256)
                ReadData(setId, body);
            else
                throw new InvalidDataException($"set id {setId} is reserved");
            sets = sets[setLength..];
        }
    }

    private void ReadTemplates(ReadOnlySpan<byte> body)
    {
        while (body.Length >= 4)
        {
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body);
            int count = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
            if (templateId < 256)
                throw new InvalidDataException($"template id {templateId}");
            body = body[4..];
            var fields = new (ushort, ushort)[count];
            for (int i = 0; i < count; i++)
            {
                if (body.Length < 4)
                    throw new InvalidDataException($"template {templateId} ends inside field {i}");
                ushort id = BinaryPrimitives.ReadUInt16BigEndian(body);
                ushort length = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
                if ((id & 0x8000) != 0)
                    throw new InvalidDataException($"template {templateId} has an enterprise element; only IANA ones are written");
                if (length == 0xFFFF)
                    throw new InvalidDataException($"template {templateId} has a variable-length element");
                fields[i] = (id, length);
                body = body[4..];
            }
            _templates[templateId] = fields;
        }
        if (body.Length != 0)
            throw new InvalidDataException($"{body.Length} bytes after the last template");
    }

    private void ReadData(ushort templateId, ReadOnlySpan<byte> body)
    {
        if (!_templates.TryGetValue(templateId, out (ushort Id, ushort Length)[]? fields))
            throw new InvalidDataException($"data set {templateId} before its template");
        int recordLength = 0;
        foreach ((_, ushort length) in fields)
            recordLength += length;
        while (body.Length >= recordLength)
        {
            var record = new Dictionary<ushort, byte[]>(fields.Length);
            foreach ((ushort id, ushort length) in fields)
            {
                record[id] = body[..length].ToArray();
                body = body[length..];
            }
            Records.Add(record);
            _dataRecords++;
        }
        // Padding only: shorter than a record, and zero (§3.3.1).
        foreach (byte b in body)
        {
            if (b != 0)
                throw new InvalidDataException($"{body.Length} bytes after the last record of set {templateId} are not padding");
        }
    }

    /// <summary>A numeric element of a record, as big-endian unsigned of any length up to 8 bytes.</summary>
    public static ulong Number(Dictionary<ushort, byte[]> record, ushort id)
    {
        ulong value = 0;
        foreach (byte b in record[id])
            value = value << 8 | b;
        return value;
    }
}
