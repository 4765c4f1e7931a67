namespace Tributary.Capture.Files;

/// <summary>How <see cref="CaptureFile.Open(string, CaptureFileOptions?)"/> reads a file.</summary>
public sealed class CaptureFileOptions
{
    /// <summary>
    /// Map a regular file into memory (private, copy-on-write) and hand out packets straight from the
    /// mapping instead of copying it through a read buffer. Pipes and standard input are always read.
    /// Caveat of every memory map: if another process truncates the file while it is mapped, the
    /// reader faults (SIGBUS) — do not map files that are still being rotated or cut.
    /// </summary>
    public bool MemoryMap { get; init; }

    /// <summary>Read buffer size for the non-mapped path (default 1 MiB; records larger than it grow it).</summary>
    public int BufferSize { get; init; } = CaptureFileReader.DefaultBufferSize;
}
