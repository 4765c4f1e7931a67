using System.Buffers.Binary;

namespace Tributary.Netlink;

/// <summary>
/// Walks the messages of one received datagram without copying or allocating. A length field that
/// does not fit stops the walk and sets <see cref="Malformed"/>: everything after it is unusable.
/// </summary>
public ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _rest;
    private NetlinkMessage _current;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram)
    {
        _rest = datagram;
        _current = default;
        Malformed = false;
        MalformedOffset = -1;
        Consumed = 0;
    }

    /// <summary>True once a message header or length was found inconsistent with the datagram.</summary>
    public bool Malformed { get; private set; }

    /// <summary>The byte offset in the datagram where the malformed message starts, or -1.</summary>
    public int MalformedOffset { get; private set; }

    /// <summary>Bytes of the datagram walked so far.</summary>
    public int Consumed { get; private set; }

    public readonly NetlinkMessage Current => _current;

    /// <summary>
    /// For <c>foreach</c>. It enumerates a copy, so <see cref="Malformed"/> and <see cref="Consumed"/>
    /// of this variable do not move: when you need them after the walk, loop with
    /// <c>while (reader.MoveNext())</c> on the variable itself.
    /// </summary>
    public readonly NetlinkMessageReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.Length == 0 || Malformed)
            return false;
        if (_rest.Length < Interop.Netlink.NLMSG_HDRLEN)
            return Fail();
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (len < Interop.Netlink.NLMSG_HDRLEN || len > (uint)_rest.Length)
            return Fail();
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]);
        var flags = (NetlinkMessageFlags)BinaryPrimitives.ReadUInt16LittleEndian(_rest[6..]);
        uint seq = BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]);
        uint pid = BinaryPrimitives.ReadUInt32LittleEndian(_rest[12..]);
        _current = new NetlinkMessage(type, flags, seq, pid, _rest[Interop.Netlink.NLMSG_HDRLEN..(int)len]);
        int advance = Math.Min(Interop.Netlink.NLMSG_ALIGN((int)len), _rest.Length);
        _rest = _rest[advance..];
        Consumed += advance;
        return true;
    }

    private bool Fail()
    {
        Malformed = true;
        MalformedOffset = Consumed;
        _rest = default;
        return false;
    }
}
