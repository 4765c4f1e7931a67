using System.Buffers.Binary;

namespace Tributary.Capture.Files;

/// <summary>
/// LINKTYPE_NULL's 4-byte address family is in the byte order of the host that wrote the file. When
/// the file's byte order differs from ours, readers turn it to host order in place, so that filters
/// (compiled for host order, as libpcap does) and decoders see what tcpdump sees.
/// </summary>
internal static unsafe class NullHeader
{
    public static void ToHostOrder(byte* data, uint captured)
    {
        if (captured >= 4)
            *(uint*)data = BinaryPrimitives.ReverseEndianness(*(uint*)data);
    }
}
