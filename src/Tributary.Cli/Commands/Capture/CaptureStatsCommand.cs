using System.CommandLine;
using System.Globalization;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Filters;
using Tributary.Capture.Live;

namespace Tributary.Cli.Commands.Capture;

/// <summary>
/// <c>tributary capture stats CAPTURE [--filter EXPR] [--json] [--interface IF] [--count N]</c>:
/// whole-capture counts (DESIGN.md "Contracts"; meanings in <see cref="CaptureStatistics"/>).
/// A corrupt or truncated file prints the counts of everything before the fault, then the error
/// (file and byte offset) on stderr, and exits 1.
/// </summary>
internal static class CaptureStatsCommand
{
    public static Command Create()
    {
        Argument<string?> capture = CaptureArgument.Create();
        var filter = new Option<string?>("--filter", "-f") { Description = "tcpdump-syntax filter: 'matched' counts the packets it accepts.", HelpName = "EXPR" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var iface = new Option<string?>("--interface", "-i") { Description = "Capture live from this interface instead of a file, until interrupted or --count.", HelpName = "IF" };
        var timing = new Option<bool>("--timing") { Description = "Print the read + decode time and packet rate on standard error." };
        var mmap = new Option<bool>("--mmap") { Description = "Map the file instead of reading it through a buffer (slower where the first touch of a mapped page is dear, as on virtual machines that shadow page tables; never for a file that may be cut short while read)." };
        var noMmap = new Option<bool>("--no-mmap") { Description = "Read the file through a buffer (the default; kept for scripts).", Hidden = true };
        var count = new Option<long?>("--count", "-c") { Description = "Stop after this many packets.", HelpName = "N", CustomParser = NumberOption.NullableInt64(1, long.MaxValue, "must be a positive number of packets") };

        var cmd = new Command("stats", "Count packets, bytes, IPv4/IPv6, TCP/UDP, fragments, malformed packets and link types of a capture.")
        {
            capture, filter, json, iface, count, mmap, noMmap, timing,
        };
        cmd.Validators.Add(r =>
        {
            bool hasFile = r.GetValue(capture) is not null, hasInterface = r.GetValue(iface) is not null;
            if (hasFile == hasInterface)
                r.AddError("give either a CAPTURE file or --interface IF");
            if (r.GetValue(mmap) && r.GetValue(noMmap))
                r.AddError("--mmap and --no-mmap contradict each other");
        });
        cmd.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(capture), parse.GetValue(iface), parse.GetValue(filter),
            parse.GetValue(json), parse.GetValue(count) ?? long.MaxValue, parse.GetValue(mmap), parse.GetValue(timing), ct)));
        return cmd;
    }

    private static int Run(string? path, string? interfaceName, string? expression, bool json, long maxPackets, bool memoryMap, bool timing, CancellationToken ct)
    {
        PacketSource source;
        try
        {
            source = interfaceName is not null
                ? LiveCapture.Open(interfaceName, new LiveCaptureOptions { Filter = null })
                : CaptureFile.Open(path!, new CaptureFileOptions { MemoryMap = memoryMap });
        }
        catch (CaptureFileException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        catch (Exception ex) when (path is not null && ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(FileErrors.Describe(path!, ex));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CaptureSystemException)
        {
            throw new CommandLineException($"{path ?? interfaceName}: {ex.Message}");
        }

        using (source)
        {
            PacketFilter? packetFilter = null;
            if (expression is not null)
            {
                LinkType primary = source.Interfaces.Count > 0 ? source.Interfaces[0].LinkType : LinkType.Ethernet;
                try
                {
                    packetFilter = PacketFilter.Compile(expression, primary);
                }
                catch (FilterException ex)
                {
                    throw new CommandLineException($"invalid filter '{expression}': {ex.Message}", CommandRunner.ExitUsage);
                }
            }
            var stats = new CaptureStatistics();
            string? failure = null;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                CaptureStatistics.Collect(source, packetFilter, maxPackets, ct, stats);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                failure = InputFault.Describe(ex, interfaceName); // everything before the fault is counted and printed, then the error
            }
            TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Print(stats, json, path ?? interfaceName!, expression);
            if (timing)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"tributary: read + decode of {stats.Packets} packets in {elapsed.TotalSeconds:F3} s ({stats.Packets / Math.Max(elapsed.TotalSeconds, 1e-9) / 1e6:F2} Mpps)"));
            }
            KernelCounts.Report(interfaceName, Console.Error, source);
            if (packetFilter is not null)
            {
                foreach (var (linkType, message) in packetFilter.LinkTypeErrors)
                    Console.Error.WriteLine($"tributary: filter does not apply to link type {LinkTypeNames.GetName(linkType)} (its packets never match): {message}");
            }
            if (failure is not null)
                throw new CommandLineException(failure);
        }
        return CommandRunner.ExitOk;
    }

    private static void Print(CaptureStatistics s, bool json, string name, string? expression)
    {
        var c = CultureInfo.InvariantCulture;
        if (json)
        {
            // Written by hand: numbers and libpcap link-type names (A-Z, 0-9, _) need no escaping, and
            // System.Text.Json would cost start-up time on every run.
            var sb = new System.Text.StringBuilder(256);
            sb.Append(c, $"{{\"packets\":{s.Packets},\"bytes\":{s.Bytes},\"matched\":{s.Matched},\"ipv4\":{s.IPv4},\"ipv6\":{s.IPv6},");
            sb.Append(c, $"\"tcp\":{s.Tcp},\"udp\":{s.Udp},\"fragments\":{s.Fragments},\"malformed\":{s.Malformed},\"link_types\":{{");
            bool first = true;
            foreach (string type in SortedLinkTypes(s))
            {
                sb.Append(c, $"{(first ? "" : ",")}\"{type}\":{s.LinkTypes[type]}");
                first = false;
            }
            sb.Append("}}\n");
            Console.Out.Write(sb.ToString());
            Console.Out.Flush();
            return;
        }
        TextWriter o = Console.Out;
        o.WriteLine(string.Create(c, $"capture:    {name}"));
        o.WriteLine(string.Create(c, $"packets:    {s.Packets}"));
        o.WriteLine(string.Create(c, $"bytes:      {s.Bytes}"));
        o.WriteLine(expression is null ? string.Create(c, $"matched:    {s.Matched}") : string.Create(c, $"matched:    {s.Matched} (filter: {expression})"));
        o.WriteLine(string.Create(c, $"ipv4:       {s.IPv4}"));
        o.WriteLine(string.Create(c, $"ipv6:       {s.IPv6}"));
        o.WriteLine(string.Create(c, $"tcp:        {s.Tcp}"));
        o.WriteLine(string.Create(c, $"udp:        {s.Udp}"));
        o.WriteLine(string.Create(c, $"fragments:  {s.Fragments}"));
        o.WriteLine(string.Create(c, $"malformed:  {s.Malformed}"));
        o.WriteLine("link types: " + (s.LinkTypes.Count == 0 ? "none" : string.Join(", ", SortedLinkTypes(s).Select(t => string.Create(c, $"{t}={s.LinkTypes[t]}")))));
    }

    private static string[] SortedLinkTypes(CaptureStatistics s)
    {
        string[] names = [.. s.LinkTypes.Keys];
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }
}
