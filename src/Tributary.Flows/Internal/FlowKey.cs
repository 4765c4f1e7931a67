using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>
/// A directional TCP 4-tuple (source, destination as seen on the wire). IPv4 addresses occupy the low 32 bits
/// of the 128-bit fields; <see cref="Version"/> keeps the families apart.
/// </summary>
internal struct FlowKey : IEquatable<FlowKey>
{
    public UInt128 Source;
    public UInt128 Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte Version;

    public readonly FlowKey Reversed() => new()
    {
        Source = Destination, Destination = Source,
        SourcePort = DestinationPort, DestinationPort = SourcePort, Version = Version,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Equals(FlowKey other) =>
        SourcePort == other.SourcePort && DestinationPort == other.DestinationPort &&
        Source == other.Source && Destination == other.Destination && Version == other.Version;

    public override readonly bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    public override readonly int GetHashCode() => (int)DirectionalHash();

    /// <summary>Hash of the key as given (the flow table keys each side by its own direction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint DirectionalHash()
    {
        ulong s = (ulong)Source ^ (ulong)(Source >> 64);
        ulong d = (ulong)Destination ^ (ulong)(Destination >> 64);
        ulong x = s * 0x9E3779B97F4A7C15UL ^ (d + 0x632BE59BD9B4E019UL) * 0xC2B2AE3D27D4EB4FUL
                  ^ ((ulong)SourcePort << 16 | DestinationPort) * 0x165667B19E3779F9UL;
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 32;
        return (uint)x;
    }

    /// <summary>Direction-independent hash (mOS's symmetric RSS idea): both directions of a connection map to the same shard.</summary>
    public readonly uint SymmetricHash()
    {
        ulong s = (ulong)Source ^ (ulong)(Source >> 64);
        ulong d = (ulong)Destination ^ (ulong)(Destination >> 64);
        ulong x = (s ^ d) * 0x9E3779B97F4A7C15UL ^ ((ulong)(SourcePort ^ DestinationPort) * 0xC2B2AE3D27D4EB4FUL) ^ (s + d);
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 29;
        return (uint)x;
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);
    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
