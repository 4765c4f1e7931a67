using System.CommandLine;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Live;
using Tributary.Flows;
using Tributary.Flows.Telemetry;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// Input of the flows commands (DESIGN.md "Capture input everywhere"): a capture file (memory-mapped when it is a
/// regular file), <c>-</c> for standard input, or <c>--interface IF</c> for live capture until SIGINT/SIGTERM.
/// Input faults (a corrupt or truncated file, a live capture whose interface went down or away) become one stderr line
/// and exit 1 after everything before them was processed.
/// </summary>
internal static class FlowsInput
{
    public static Argument<string?> CaptureArgument() => Cli.CaptureArgument.Create();

    public static Option<string?> InterfaceOption() => new("--interface", "-i")
    {
        Description = "Capture live from this interface instead of a file, until interrupted.",
        HelpName = "IF",
    };

    /// <summary>
    /// <c>--interval SECONDS</c> of the periodic tables (<c>flows midstat</c>, <c>flows firewall</c>): decimals allowed,
    /// 0 for only the final table; read it with <see cref="Interval"/>, which gives the default of 1 s (a default
    /// value of the option itself would show in the help as "00:00:01").
    /// </summary>
    public static Option<TimeSpan> IntervalOption(string what) => new("--interval")
    {
        Description = $"Seconds between {what} (default 1), on the capture's clock for a file (intervals without TCP packets print nothing) and the wall clock live; decimals allowed; 0: only the final one.",
        HelpName = "SECONDS",
        CustomParser = NumberOption.Seconds(TimeSpan.Zero, TimeSpan.FromDays(1), "must be between 0 and 86400 seconds"),
    };

    /// <summary>The value of an <see cref="IntervalOption"/>: 1 s when it is not given.</summary>
    public static TimeSpan Interval(ParseResult parse, Option<TimeSpan> option) =>
        parse.GetResult(option) is null ? TimeSpan.FromSeconds(1) : parse.GetValue(option);

    /// <summary>Requires exactly one of CAPTURE and --interface.</summary>
    public static void Validate(Command cmd, Argument<string?> capture, Option<string?> iface) =>
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(capture) is null) == (r.GetValue(iface) is null))
                r.AddError("give either a CAPTURE file or --interface IF");
        });

    /// <summary>Opens the input; a live source is stopped when <paramref name="ct"/> is cancelled.</summary>
    public static PacketSource Open(string? path, string? interfaceName, CancellationToken ct, out CancellationTokenRegistration stop)
    {
        PacketSource source;
        try
        {
            source = interfaceName is not null
                ? LiveCapture.Open(interfaceName, new LiveCaptureOptions { BlockTimeoutMilliseconds = 50 })
                : CaptureFile.Open(path!); // read, not mapped: faster here, and safe when the file is cut short while read
        }
        catch (CaptureFileException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        catch (CaptureSystemException ex)
        {
            throw new CommandLineException($"{interfaceName}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(FileErrors.Describe(path!, ex));
        }
        stop = ct.Register(source.Stop);
        return source;
    }

    /// <summary>
    /// Opens one live capture per shard in a fanout group (<see cref="LiveCapture.OpenGroup"/>); all of them are stopped
    /// when <paramref name="ct"/> is cancelled.
    /// </summary>
    public static LiveCapture[] OpenGroup(string interfaceName, int count, CancellationToken ct, out CancellationTokenRegistration stop)
    {
        LiveCapture[] group;
        try
        {
            group = LiveCapture.OpenGroup(interfaceName, count, new LiveCaptureOptions { BlockTimeoutMilliseconds = 50 });
        }
        catch (CaptureSystemException ex)
        {
            throw new CommandLineException($"{interfaceName}: {ex.Message}");
        }
        stop = ct.Register(() =>
        {
            foreach (LiveCapture c in group)
                c.Stop();
        });
        return group;
    }

    /// <summary>What a command does with each packet of <see cref="ReadAll"/>.</summary>
    public delegate void PacketHandler(in Packet packet);

    /// <summary>
    /// Hands every packet of the input to <paramref name="handle"/>, then reports a live capture's kernel counts on
    /// stderr. Returns the input fault that ended the reading, worded for stderr (printed after the results: everything
    /// before it was handled), or null.
    /// </summary>
    public static string? ReadAll(string? path, string? interfaceName, CancellationToken ct, PacketHandler handle)
    {
        string? fault = null;
        using (PacketSource source = Open(path, interfaceName, ct, out CancellationTokenRegistration stop))
        using (stop)
        {
            try
            {
                while (source.TryReadNext(out Packet p))
                    handle(p);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                fault = InputFault.Describe(ex, interfaceName);
            }
            KernelCounts.Report(interfaceName, Console.Error, source);
        }
        return fault;
    }

    /// <summary>
    /// Opens the input and runs <paramref name="body"/> over it, then reports a live capture's kernel counts; a live
    /// capture also joins <paramref name="metrics"/> (its kernel counts).
    /// </summary>
    public static int Run(string? path, string? interfaceName, CancellationToken ct, Func<IFrameSource, int> body, FlowMetrics? metrics = null)
    {
        PacketSource packets = Open(path, interfaceName, ct, out CancellationTokenRegistration stop);
        metrics?.Add(packets);
        using (stop)
        using (var source = new CaptureFrameSource(packets))
        {
            try
            {
                int status = body(source);
                KernelCounts.Report(interfaceName, Console.Error, packets);
                return status;
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                // Everything before the fault was processed and printed.
                KernelCounts.Report(interfaceName, Console.Error, packets);
                throw new CommandLineException(InputFault.Describe(ex, interfaceName));
            }
        }
    }
}
