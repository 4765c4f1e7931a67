namespace Tributary.Flows.Applications.Export;

/// <summary>
/// One direction of a flow as <see cref="IpfixWriter"/> exports it. Addresses as the engine keeps them: IPv4 in the
/// low 32 bits, IPv6 as the 128-bit big-endian value. Times in ms since the epoch; counts since the flow's previous
/// record (IPFIX delta counts); <see cref="EndReason"/> is flowEndReason (1 idle timeout, 2 active timeout, 3 end of
/// flow detected, 4 forced end); <see cref="Direction"/> is biflowDirection (1 the client's, 2 the server's).
/// </summary>
public readonly record struct IpfixFlowRecord(
    int IpVersion, UInt128 Source, ushort SourcePort, UInt128 Destination, ushort DestinationPort,
    long StartMilliseconds, long EndMilliseconds, ushort TcpFlags, long Octets, long Packets, byte EndReason, byte Direction);
