using System.Buffers.Binary;
using System.Net;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>MPTCP option bytes (TCP option kind 30) laid out per RFC 8684 §3 (and RFC 6824 where named), for hand-built frames.</summary>
internal static class MptcpOptions
{
    public static byte[] CapableSyn(int version = 1) => [30, 4, (byte)version, 0x01];

    /// <summary>Version 0 SYN: the client's key is already in the SYN (RFC 6824 §3.1).</summary>
    public static byte[] CapableSynV0(ulong key) => [30, 12, 0x00, 0x81, .. Be(key)];

    public static byte[] CapableSynAck(ulong key, int version = 1) => [30, 12, (byte)version, 0x01, .. Be(key)];

    public static byte[] CapableAck(ulong clientKey, ulong serverKey, int version = 1) => [30, 20, (byte)version, 0x01, .. Be(clientKey), .. Be(serverKey)];

    /// <summary>Version 1 third ACK carrying the first data and its data-level length (RFC 8684 §3.1, length 22).</summary>
    public static byte[] CapableAckWithData(ulong clientKey, ulong serverKey, ushort dataLevelLength) =>
        [30, 22, 0x01, 0x01, .. Be(clientKey), .. Be(serverKey), (byte)(dataLevelLength >> 8), (byte)dataLevelLength];

    /// <summary>DSS with a 4-byte Data ACK and a 4-byte mapping (§3.3); data-level length 0 is the infinite mapping (§3.7).</summary>
    public static byte[] Mapping(uint dataSequence, uint subflowSequence, ushort dataLevelLength) =>
        [30, 18, 0x20, 0x05, 0, 0, 0, 1, .. Be32(dataSequence), .. Be32(subflowSequence), (byte)(dataLevelLength >> 8), (byte)dataLevelLength];

    public static byte[] JoinSyn(byte addressId, uint token, bool backup = false) =>
        [30, 12, (byte)(0x10 | (backup ? 1 : 0)), addressId, .. Be32(token), 0xA1, 0xA2, 0xA3, 0xA4];

    public static byte[] JoinSynAck(byte addressId, bool backup = false) =>
        [30, 16, (byte)(0x10 | (backup ? 1 : 0)), addressId, 1, 2, 3, 4, 5, 6, 7, 8, 0xB1, 0xB2, 0xB3, 0xB4];

    public static byte[] JoinAck() => [30, 24, 0x10, 0, .. new byte[20]];

    /// <summary>RFC 8684 ADD_ADDR: with a truncated HMAC unless it is the echo (§3.4.1).</summary>
    public static byte[] AddAddress(byte id, string address, ushort port = 0, bool echo = false)
    {
        byte[] a = IPAddress.Parse(address).GetAddressBytes();
        byte[] p = port == 0 ? [] : [(byte)(port >> 8), (byte)port];
        byte[] hmac = echo ? [] : [9, 9, 9, 9, 9, 9, 9, 9];
        return [30, (byte)(4 + a.Length + p.Length + hmac.Length), (byte)(0x30 | (echo ? 1 : 0)), id, .. a, .. p, .. hmac];
    }

    public static byte[] RemoveAddress(params byte[] ids) => [30, (byte)(3 + ids.Length), 0x40, .. ids];

    /// <summary>DSS with a 4-byte Data ACK and the DATA_FIN flag (§3.3).</summary>
    public static byte[] DataFin() => [30, 8, 0x20, 0x11, 0, 0, 0, 1];

    /// <summary>DSS with only a 4-byte Data ACK.</summary>
    public static byte[] DataAck() => [30, 8, 0x20, 0x01, 0, 0, 0, 1];

    public static byte[] Priority(bool backup) => [30, 3, (byte)(0x50 | (backup ? 1 : 0))];

    public static byte[] FastClose(ulong receiverKey) => [30, 12, 0x70, 0, .. Be(receiverKey)];

    public static byte[] Fail() => [30, 12, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 7];

    public static byte[] TcpReset(byte reason) => [30, 4, 0x80, reason];

    private static byte[] Be(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    private static byte[] Be32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }
}
