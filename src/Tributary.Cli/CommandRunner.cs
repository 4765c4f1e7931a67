using System.CommandLine;
using System.Runtime.InteropServices;

namespace Tributary.Cli;

/// <summary>
/// Runs a parsed command line with the conventions every subcommand shares: parse errors exit 2
/// (DESIGN.md "Bad input"), SIGINT and SIGTERM cancel the command's token and end it with exit 0, and an exception
/// no command expected (a bug) is reported on one line plus its trace and exits 70, after the command's writers
/// were disposed on the way out, so that its output up to the failure is not lost.
/// </summary>
internal static class CommandRunner
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    /// <summary>A check ran and found what it was asked to fail on (<c>flows mptcp --pm-check --fail-on-discrepancy</c>).</summary>
    public const int ExitCheckFailed = 3;

    /// <summary>EX_SOFTWARE (sysexits.h): an internal error.</summary>
    public const int ExitInternalError = 70;

    public static int Invoke(ParseResult parse, TextWriter? error = null)
    {
        error ??= Console.Error;
        if (parse.Errors.Count > 0)
        {
            foreach (string message in ErrorMessages(parse))
                error.WriteLine($"tributary: {message}");
            error.WriteLine("Try 'tributary --help' for more information.");
            return ExitUsage;
        }

        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return parse.InvokeAsync(config, cts.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return ExitOk;
        }
        catch (CommandLineException ex)
        {
            error.WriteLine($"tributary: {ex.Message}");
            return ex.ExitCode;
        }
        catch (Exception ex)
        {
            // Caught rather than left unhandled: an unhandled exception ends the process without running the
            // finally blocks (and Dispose) between the throw and Main, which would drop buffered output.
            error.WriteLine($"tributary: internal error, please report it: {ex.GetType().Name}: {ex.Message}");
            error.WriteLine(ex.ToString());
            return ExitInternalError;
        }

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we end the command ourselves, with exit 0
            cts.Cancel();
        }
    }

    /// <summary>
    /// The parse errors to print. An unknown option taken for the CAPTURE argument (<see cref="CaptureArgument"/>)
    /// pushes the real file out as an "unrecognized argument": only the unknown option is named then.
    /// </summary>
    private static IEnumerable<string> ErrorMessages(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => e.Message).ToList();
        var unknownOptions = messages.Where(m => m.StartsWith(CaptureArgument.UnknownOption, StringComparison.Ordinal)).ToList();
        return unknownOptions.Count > 0 ? unknownOptions : messages;
    }
}

/// <summary>A failure a command reports to the user as one line on stderr and an exit code.</summary>
public sealed class CommandLineException(string message, int exitCode = CommandRunner.ExitFailure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
