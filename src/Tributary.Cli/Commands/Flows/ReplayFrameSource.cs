using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// A capture replayed through an inline application (<c>flows firewall CAPTURE --write OUT</c>): feeds the context as
/// <see cref="CaptureFrameSource"/> does, and remembers the frame being processed, so that <see cref="Forward"/> (the
/// context's <see cref="MonitorContext.ForwardSink"/>) writes each forwarded frame with its own capture time, in full
/// resolution, and its length on the wire. The output is pcapng when its name ends in <c>.pcapng</c> (any mix of link
/// types), else pcap with the link type of the first forwarded frame (a pcapng input can say its link types only
/// as its interfaces come); frames of a second link type cannot go into a pcap file and end the run with an error.
/// </summary>
internal sealed class ReplayFrameSource : IFrameSource
{
    private readonly CaptureFrameSource _source;
    private readonly PacketSource _packets;
    private readonly Stream _output;
    private readonly string _outputPath;
    private readonly bool _pcapng;
    private readonly bool _nanoseconds;
    private CaptureWriter? _writer;
    private int _wireLength;

    /// <param name="source">The capture (not disposed here).</param>
    /// <param name="output">The output file, opened (disposed with this source).</param>
    public ReplayFrameSource(PacketSource source, Stream output, string outputPath)
    {
        _packets = source;
        _source = new CaptureFrameSource(source);
        _output = output;
        _outputPath = outputPath;
        _pcapng = outputPath.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase);
        _nanoseconds = source is CaptureFileReader { Format: not CaptureFileFormat.Pcap };
    }

    /// <summary>Writes a forwarded frame of the current packet.</summary>
    public void Forward(ReadOnlySpan<byte> frame, int linkType)
    {
        _writer ??= CreateWriter((LinkType)linkType);
        try
        {
            _writer.Write(frame, Math.Max(_wireLength, frame.Length), _source.TimestampNanoseconds, (LinkType)linkType);
        }
        catch (ArgumentException ex)
        {
            throw new CommandLineException($"{_outputPath}: {ex.Message}; a .pcapng file keeps frames of several link types");
        }
    }

    private CaptureWriter CreateWriter(LinkType linkType) =>
        _pcapng ? new PcapNgWriter(_output) : new PcapWriter(_output, linkType, nanoseconds: _nanoseconds);

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

    /// <summary>Finishes the output: a replay that forwarded nothing still leaves a valid, empty capture file.</summary>
    public void Dispose()
    {
        _writer ??= CreateWriter(_packets.Interfaces.Count > 0 ? _packets.Interfaces[0].LinkType : LinkType.Ethernet);
        _writer.Dispose();
    }
}
