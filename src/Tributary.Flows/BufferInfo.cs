namespace Tributary.Flows;

/// <summary>
/// A side's receive buffer as stream offsets (0 = first byte after the peer's ISN). mOS calls these fields
/// sequence numbers; they are offsets (DEVIATIONS B18, TRACER §3.4 <c>r</c>, <c>e</c>, <c>rcv</c>).
/// </summary>
/// <param name="LastByteRead">End of the contiguous data before the current packet (mOS "pile").</param>
/// <param name="NextByteExpected">End of the contiguous data.</param>
/// <param name="LastByteReceived">End of the last fragment held.</param>
/// <param name="InitialSequence">The peer's ISN + 1 (offset 0).</param>
public readonly record struct BufferInfo(long LastByteRead, long NextByteExpected, long LastByteReceived, uint InitialSequence);

/// <summary>A run of bytes held in a receive buffer: [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Length"/>).</summary>
public readonly record struct BufferFragment(long Offset, int Length);

/// <summary>An endpoint of a flow: address (IPv4 in the low 32 bits for version 4) and port.</summary>
public readonly record struct FlowEndpoint(UInt128 Address, int IpVersion, ushort Port)
{
    public override string ToString() => IpVersion == 6
        ? $"[{AddressText.Format(Address, 6)}]:{Port}"
        : $"{AddressText.Format(Address, 4)}:{Port}";
}
