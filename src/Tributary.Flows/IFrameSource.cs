using Tributary.Capture;

namespace Tributary.Flows;

/// <summary>
/// A source of captured frames for the flow applications (capture files, standard input, live interfaces).
/// <see cref="TryRead(out ReadOnlySpan{byte}, out int, out long, out int)"/> returns frames in order; the span is valid
/// until the next call. A live source (<see cref="IsLive"/>) also reads with a timeout, so that its reader can let the
/// wall clock move while the link is quiet (<see cref="MonitorContext.Run"/>).
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

    /// <summary>Whether frames come as they happen (a live interface), on the wall clock; false for files and pipes.</summary>
    bool IsLive => false;

    /// <summary>
    /// The next frame, waiting at most <paramref name="timeoutMilliseconds"/> (-1: until one comes) on a live source:
    /// <see cref="PacketReadResult.Timeout"/> when none came. A source that does not implement it never times out.
    /// </summary>
    PacketReadResult Read(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength,
        out PacketFlags flags, int timeoutMilliseconds) =>
        TryRead(out frame, out linkType, out timestampMicroseconds, out wireLength, out flags) ? PacketReadResult.Packet : PacketReadResult.EndOfInput;
}
