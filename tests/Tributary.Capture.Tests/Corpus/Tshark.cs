namespace Tributary.Capture.Tests.Corpus;

/// <summary>Runs tshark (Wireshark 4.0) on a capture and returns one <see cref="PacketRow"/> per frame.</summary>
public static class Tshark
{
    public static List<PacketRow> Rows(string path)
    {
        // IP reassembly off: each frame is judged on its own, as our decoder does.
        var args = new List<string> { "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f" };
        foreach (string field in PacketRow.TsharkFields)
        {
            args.Add("-e");
            args.Add(field);
        }
        ProcessResult r = ProcessRunner.Run("tshark", args, timeout: TimeSpan.FromMinutes(3));
        if (r.ExitCode != 0 && r.StandardOutput.Length == 0)
            throw new InvalidOperationException($"tshark failed on {path}: {r.StandardError}");
        return r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(PacketRow.FromTshark).ToList();
    }

    /// <summary>Our rows for the same file.</summary>
    public static List<PacketRow> OurRows(string path, bool memoryMap = false)
    {
        var rows = new List<PacketRow>();
        using PacketSource source = Tributary.Capture.Files.CaptureFile.Open(path, new Tributary.Capture.Files.CaptureFileOptions { MemoryMap = memoryMap });
        while (source.TryReadNext(out Packet p))
            rows.Add(PacketRow.FromDecoder(p));
        return rows;
    }
}
