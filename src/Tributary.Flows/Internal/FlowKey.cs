using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>
/// A directional TCP 4-tuple (source, destination as seen on the wire). Addresses are two 64-bit halves (IPv4 in
/// the low 32 bits of the low half) — plain ulong arithmetic inlines everywhere, also in precompiled (R2R) code,
/// where UInt128 operators would be calls; <see cref="Version"/> keeps the families apart.
/// </summary>
internal struct FlowKey : IEquatable<FlowKey>
{
    public ulong SourceHigh;
    public ulong SourceLow;
    public ulong DestinationHigh;
    public ulong DestinationLow;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte Version;

    public readonly FlowKey Reversed() => new()
    {
        SourceHigh = DestinationHigh, SourceLow = DestinationLow, DestinationHigh = SourceHigh, DestinationLow = SourceLow,
        SourcePort = DestinationPort, DestinationPort = SourcePort, Version = Version,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Equals(FlowKey other) =>
        SourcePort == other.SourcePort && DestinationPort == other.DestinationPort &&
        SourceLow == other.SourceLow && DestinationLow == other.DestinationLow &&
        SourceHigh == other.SourceHigh && DestinationHigh == other.DestinationHigh && Version == other.Version;

    public readonly UInt128 Source => new(SourceHigh, SourceLow);

    public readonly UInt128 Destination => new(DestinationHigh, DestinationLow);

    public override readonly bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    public override readonly int GetHashCode() => (int)DirectionalHash();

    /// <summary>Hash of the key as given (the flow table keys each side by its own direction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint DirectionalHash()
    {
        ulong s = SourceLow ^ SourceHigh;
        ulong d = DestinationLow ^ DestinationHigh;
        ulong x = s * 0x9E3779B97F4A7C15UL ^ (d + 0x632BE59BD9B4E019UL) * 0xC2B2AE3D27D4EB4FUL
                  ^ ((ulong)SourcePort << 16 | DestinationPort) * 0x165667B19E3779F9UL;
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 32;
        return (uint)x;
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);
    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
