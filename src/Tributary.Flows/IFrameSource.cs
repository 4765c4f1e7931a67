using Tributary.Capture;

namespace Tributary.Flows;

/// <summary>
/// A source of captured frames for the flow applications (capture files, standard input, live interfaces).
/// <see cref="TryRead"/> returns frames in order; the span is valid until the next call.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>Next frame: its bytes, link type (LINKTYPE_*), capture time in µs and length on the wire. False at the end.</summary>
    bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength);

    /// <summary>
    /// As <see cref="TryRead(out ReadOnlySpan{byte}, out int, out long, out int)"/>, with the capture's flags of the
    /// frame (a live capture's <see cref="PacketFlags.ChecksumNotReady"/>); none unless the source implements it.
    /// </summary>
    bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength, out PacketFlags flags)
    {
        flags = PacketFlags.None;
        return TryRead(out frame, out linkType, out timestampMicroseconds, out wireLength);
    }
}
