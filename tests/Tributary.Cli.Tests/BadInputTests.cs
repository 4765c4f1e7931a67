namespace Tributary.Cli.Tests;

/// <summary>
/// Bad options and unreadable files on the capture and flows commands (DESIGN.md "Bad input and faults"): one clear
/// line naming the option or the file, exit 2 for options and 1 for files, never an unhandled exception.
/// </summary>
public class BadInputTests
{
    private static string Capture => SharedPaths.RequireShared("reference", "mos", "pcaps", "01_handshake_close.pcap");

    private const string TryHelp = "Try 'tributary --help' for more information.\n";

    [Theory]
    [InlineData("flows stats --threads abc", "--threads: 'abc' is not a number (--threads must be between 1 and 256)")]
    [InlineData("flows stats --threads 2x", "--threads: '2x' is not a number (--threads must be between 1 and 256)")]
    [InlineData("flows stats --threads 0", "--threads must be between 1 and 256")]
    [InlineData("flows stats --threads 257", "--threads must be between 1 and 256")]
    [InlineData("flows stats --threads 99999999999", "--threads must be between 1 and 256")]
    [InlineData("flows trace --tail-ms abc", "--tail-ms: 'abc' is not a number (--tail-ms must not be negative)")]
    [InlineData("flows trace --tail-ms -5", "--tail-ms must not be negative")]
    [InlineData("flows trace --timer-ms 1.5", "--timer-ms: '1.5' is not a number (--timer-ms must not be negative)")]
    [InlineData("flows trace --timer-ms -1", "--timer-ms must not be negative")]
    [InlineData("flows trace --stop-at abc", "--stop-at: 'abc' is not a number (--stop-at must not be negative)")]
    [InlineData("flows trace --stop-at 3", "--stop-at needs --stop-side cli|svr|both")]
    [InlineData("flows trace --unregister-at x", "--unregister-at: 'x' is not a number (--unregister-at must not be negative)")]
    [InlineData("flows trace --peek-at -2", "--peek-at must not be negative")]
    [InlineData("flows trace --drop-at 0x10", "--drop-at: '0x10' is not a number (--drop-at must not be negative)")]
    [InlineData("flows trace --ude x", "--ude: 'x' is not a number (--ude must be 1 or 2)")]
    [InlineData("flows trace --ude 3", "--ude must be 1 or 2")]
    [InlineData("capture stats --count abc", "--count: 'abc' is not a number (--count must be a positive number of packets)")]
    [InlineData("capture stats --count 0", "--count must be a positive number of packets")]
    [InlineData("capture stats --count -3", "--count must be a positive number of packets")]
    [InlineData("links --once --receive-buffer lots", "--receive-buffer: 'lots' is not a number (--receive-buffer must be a positive number of bytes)")]
    [InlineData("links --once --receive-buffer 0", "--receive-buffer must be a positive number of bytes")]
    public void A_bad_number_names_the_option_and_exits_2(string command, string message)
    {
        string[] words = command.Split(' ');
        ProcessResult r = TributaryCli.Run(words[0] == "links" ? words : [.. words, Capture], null);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"tributary: {message}\n{TryHelp}", r.StandardError);
        Assert.Equal("", r.StandardOutput);
    }

    [Theory]
    [InlineData("flows stats --threads 2", "threads 2\n")]
    [InlineData("flows trace --tail-ms 0 --timer-ms 5 --ude 2 --no-preamble", "=== #1 ")]
    [InlineData("capture stats --count 3", "packets:    3\n")]
    public void A_good_number_is_taken(string command, string expected)
    {
        ProcessResult r = TributaryCli.Run([.. command.Split(' '), Capture], null);
        Assert.Equal("", r.StandardError);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flows", "summary", "--bogus")]
    [InlineData("flows", "stats", "-x")]
    [InlineData("flows", "trace", "--mos-compatible")]
    [InlineData("capture", "stats", "--jsn")]
    public void An_unknown_option_before_the_file_is_named_not_the_file(string command, string subcommand, string option)
    {
        ProcessResult r = TributaryCli.Run([command, subcommand, option, Capture], null);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"tributary: unrecognized option '{option}'\n{TryHelp}", r.StandardError);
    }

    [Fact]
    public void A_file_whose_name_starts_with_a_dash_is_given_with_its_directory()
    {
        string dir = Directory.CreateTempSubdirectory("trib-dash").FullName;
        try
        {
            File.Copy(Capture, Path.Combine(dir, "-x.pcap"));
            ProcessResult r = ProcessRunner.Run("sh", "-c", $"cd '{dir}' && '{TributaryCli.Path}' capture stats --json ./-x.pcap");
            Assert.Equal("", r.StandardError);
            Assert.Equal(0, r.ExitCode);
            Assert.StartsWith("""{"packets":10,""", r.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("capture", "stats")]
    [InlineData("flows", "stats")]
    [InlineData("flows", "summary")]
    [InlineData("flows", "trace")]
    public void An_unreadable_file_is_named_with_the_reason(string command, string subcommand)
    {
        string missing = Path.Combine(Path.GetTempPath(), $"trib-missing-{Environment.ProcessId}.pcap");
        ProcessResult r = TributaryCli.Run(command, subcommand, missing);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"tributary: {missing}: No such file or directory\n", r.StandardError);

        string directory = Path.GetTempPath().TrimEnd('/');
        r = TributaryCli.Run(command, subcommand, directory);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"tributary: {directory}: Is a directory\n", r.StandardError);
    }
}
