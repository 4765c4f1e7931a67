using Tributary.Capture.Internal;

namespace Tributary.Capture.Files;

/// <summary>Opens capture files of any supported format, detected from their first bytes.</summary>
public static unsafe class CaptureFile
{
    /// <summary>The name that means standard input.</summary>
    public const string StandardInputName = "-";

    /// <summary>
    /// Opens a pcap or pcapng file, or standard input when <paramref name="path"/> is <c>-</c>.
    /// </summary>
    /// <exception cref="CaptureFileException">The input is empty, not a capture, or its header is corrupt.</exception>
    /// <exception cref="FileNotFoundException">No such file (and the other <see cref="File"/> open errors).</exception>
    public static CaptureFileReader Open(string path) => Open(path, null);

    /// <summary>Opens a capture with options (memory mapping, buffer size).</summary>
    public static CaptureFileReader Open(string path, CaptureFileOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferSize, 4096, nameof(options));
        InputFeed feed = path == StandardInputName
            ? new StreamFeed(Console.OpenStandardInput(), ownsStream: true)
            : InputFeed.ForFile(path, options.MemoryMap);
        return Open(feed, path, options.BufferSize);
    }

    private static readonly CaptureFileOptions Default = new();

    /// <summary>Reads a capture from any stream (not disposed unless <paramref name="leaveOpen"/> is false).</summary>
    public static CaptureFileReader Open(Stream stream, string name, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Open(new StreamFeed(stream, ownsStream: !leaveOpen), name, CaptureFileReader.DefaultBufferSize);
    }

    internal static CaptureFileReader Open(InputFeed feed, string name, int bufferSize)
    {
        try
        {
            // Peek at the magic through a tiny reader-independent probe: both readers start at offset 0,
            // so we hand the feed to the one the magic names; the probe bytes are re-read from a
            // replaying feed.
            Span<byte> magic = stackalloc byte[4];
            int got = 0;
            if (feed is MappedFeed mapped)
            {
                got = (int)Math.Min(4, mapped.Length);
                new ReadOnlySpan<byte>(mapped.Start, got).CopyTo(magic);
            }
            while (got < 4 && feed is not MappedFeed)
            {
                int n = feed.Read(magic[got..]);
                if (n <= 0)
                    break;
                got += n;
            }
            if (got == 0)
                throw new CaptureFileException(name, 0, "empty input: not a pcap or pcapng file");
            if (got < 4)
                throw new CaptureFileException(name, 0, $"truncated file header: {got} bytes");
            uint m = BitConverter.ToUInt32(magic);
            InputFeed replay = feed is MappedFeed ? feed : new PrefixedFeed(feed, magic.ToArray());
            return m switch
            {
                Files.PcapFormat.MagicMicroseconds or Files.PcapFormat.MagicNanoseconds
                    or Files.PcapFormat.MagicMicrosecondsSwapped or Files.PcapFormat.MagicNanosecondsSwapped
                    => new PcapReader(replay, name, bufferSize),
                Files.PcapNgFormat.SectionHeaderBlock => new PcapNgReader(replay, name, bufferSize),
                _ => throw new CaptureFileException(name, 0, $"not a pcap or pcapng file (magic 0x{m:x8})"),
            };
        }
        catch
        {
            feed.Dispose();
            throw;
        }
    }
}
