using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// A capture replayed through an inline application (<c>flows firewall CAPTURE --write OUT</c>): feeds the context as
/// <see cref="CaptureFrameSource"/> does, and remembers the frame being processed, so that <see cref="Forward"/> (the
/// context's <see cref="MonitorContext.ForwardSink"/>) writes each forwarded frame with its own capture time, in full
/// resolution, and its length on the wire.
/// </summary>
internal sealed class ReplayFrameSource : IFrameSource
{
    private readonly CaptureFrameSource _source;
    private readonly CaptureWriter _writer;
    private readonly string _outputPath;
    private int _wireLength;

    /// <param name="source">The capture (not disposed here).</param>
    public ReplayFrameSource(PacketSource source, CaptureWriter writer, string outputPath)
    {
        _source = new CaptureFrameSource(source);
        _writer = writer;
        _outputPath = outputPath;
    }

    /// <summary>Writes a forwarded frame of the current packet.</summary>
    public void Forward(ReadOnlySpan<byte> frame, int linkType)
    {
        try
        {
            _writer.Write(frame, Math.Max(_wireLength, frame.Length), _source.TimestampNanoseconds, (LinkType)linkType);
        }
        catch (ArgumentException ex)
        {
            // A pcap file holds one link type; a pcapng input may carry several.
            throw new CommandLineException($"{_outputPath}: {ex.Message}");
        }
    }

    public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength) =>
        Read(out frame, out linkType, out timestampMicroseconds, out wireLength, out _, -1) == PacketReadResult.Packet;

    public bool TryRead(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength, out PacketFlags flags) =>
        Read(out frame, out linkType, out timestampMicroseconds, out wireLength, out flags, -1) == PacketReadResult.Packet;

    public PacketReadResult Read(out ReadOnlySpan<byte> frame, out int linkType, out long timestampMicroseconds, out int wireLength,
        out PacketFlags flags, int timeoutMilliseconds)
    {
        PacketReadResult result = _source.Read(out frame, out linkType, out timestampMicroseconds, out wireLength, out flags, timeoutMilliseconds);
        _wireLength = wireLength;
        return result;
    }

    public void Dispose()
    {
    }
}
