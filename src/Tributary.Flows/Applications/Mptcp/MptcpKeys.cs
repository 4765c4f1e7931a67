using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// The token and initial data sequence number an MPTCP key stands for: the most significant 32 bits and the least
/// significant 64 bits of the hash of the key in network byte order, SHA-256 for version 1 (RFC 8684 §3.1, §3.2)
/// and SHA-1 for version 0 (RFC 6824 §3.1). Other versions define no hash: no token.
/// </summary>
public static class MptcpKeys
{
    /// <summary>True when <paramref name="version"/> is one whose key hash is known (0 or 1).</summary>
    public static bool IsKnownVersion(int version) => version is 0 or 1;

    /// <summary>The token of <paramref name="key"/>; <see cref="ArgumentOutOfRangeException"/> for a version other than 0 or 1.</summary>
    public static uint Token(ulong key, int version)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        int length = Hash(key, version, hash);
        return BinaryPrimitives.ReadUInt32BigEndian(hash[..length]);
    }

    /// <summary>The initial data sequence number (IDSN) of <paramref name="key"/>.</summary>
    public static ulong Idsn(ulong key, int version)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        int length = Hash(key, version, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash[(length - 8)..length]);
    }

    private static int Hash(ulong key, int version, Span<byte> hash)
    {
        if (!IsKnownVersion(version))
            throw new ArgumentOutOfRangeException(nameof(version), version, "MPTCP versions 0 and 1 define the key hash");
        Span<byte> k = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(k, key);
        return version == 0 ? SHA1.HashData(k, hash) : SHA256.HashData(k, hash);
    }
}
