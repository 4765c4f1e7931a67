using System.CommandLine;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Flows.Applications.Summary;

namespace Tributary.Cli.Commands.Flows;

/// <summary><c>tributary flows summary CAPTURE [--format tsv|json] [--checksums]</c>: one row per TCP flow (DESIGN.md "Contracts").</summary>
internal static class FlowsSummaryCommand
{
    public static Command Create()
    {
        var capture = new Argument<string>("CAPTURE") { Description = "pcap or pcapng file, or - for standard input." };
        var format = new Option<string>("--format") { Description = "Output format.", HelpName = "tsv|json", DefaultValueFactory = _ => "tsv" };
        format.AcceptOnlyFromAmong("tsv", "json");
        var checksums = new Option<bool>("--checksums") { Description = "Ignore segments with a bad IPv4 header or TCP checksum." };
        var cmd = new Command("summary", "One row per TCP flow: endpoints, packets, bytes, flags, close, and each direction's reassembled stream length and SHA-256.")
        {
            capture, format, checksums,
        };
        cmd.SetAction(parse => Run(parse.GetValue(capture)!, parse.GetValue(format) == "json", parse.GetValue(checksums)));
        return cmd;
    }

    private static int Run(string path, bool json, bool checksums)
    {
        var summarizer = new FlowSummarizer(checksums);
        int status = 0;
        string? fault = null;
        try
        {
            using PacketSource source = CaptureFile.Open(path, new CaptureFileOptions { MemoryMap = true });
            try
            {
                while (source.TryReadNext(out Packet p))
                    summarizer.Add(p.Data, p.LinkType, p.OriginalLength, p.TimestampNanoseconds);
            }
            catch (CaptureFileException ex)
            {
                fault = ex.Message; // everything before the fault is summarised, then the error
                status = CommandRunner.ExitFailure;
            }
        }
        catch (CaptureFileException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException($"{path}: {ex.Message}");
        }
        summarizer.Complete();
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
        {
            FlowSummaryWriter.WriteJson(stdout, summarizer.Flows);
        }
        else
        {
            using var w = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
            FlowSummaryWriter.WriteTsv(w, summarizer.Flows);
        }
        if (fault is not null)
            Console.Error.WriteLine($"tributary: {fault}");
        return status;
    }
}
