using System.CommandLine;

namespace Tributary.Cli.Tests;

/// <summary>The conventions every command shares (<see cref="CommandRunner"/>): exit codes and what reaches the user.</summary>
public class CommandRunnerTests
{
    /// <summary>A command that writes through a buffered writer, then fails as <paramref name="fail"/> says.</summary>
    private static (int ExitCode, string Error, string Output) RunFailing(Func<Exception> fail)
    {
        var output = new StringWriter();
        var command = new Command("fails");
        command.SetAction((ParseResult _) => Write(output, fail));
        var root = new RootCommand { command };
        var error = new StringWriter();
        int exit = CommandRunner.Invoke(root.Parse(["fails"]), error);
        return (exit, error.ToString(), output.ToString());
    }

    private static int Write(TextWriter output, Func<Exception> fail)
    {
        using var buffered = new BufferedWriter(output);
        buffered.WriteLine("everything before the failure");
        throw fail();
    }

    [Fact]
    public void An_unexpected_exception_is_reported_with_its_trace_and_exits_70_keeping_the_output()
    {
        (int exit, string error, string output) = RunFailing(() => new InvalidOperationException("boom"));
        Assert.Equal(70, exit);
        string[] lines = error.Split('\n');
        Assert.Equal("tributary: internal error, please report it: InvalidOperationException: boom", lines[0]);
        Assert.StartsWith("System.InvalidOperationException: boom", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Equal("everything before the failure\n", output); // the writer was disposed on the way out
    }

    [Fact]
    public void A_command_line_exception_is_one_line_and_its_exit_code()
    {
        (int exit, string error, string output) = RunFailing(() => new CommandLineException("x.pcap: No such file or directory", 1));
        Assert.Equal(1, exit);
        Assert.Equal("tributary: x.pcap: No such file or directory\n", error);
        Assert.Equal("everything before the failure\n", output);
    }

    /// <summary>Holds its text until disposed, as the commands' buffered standard output does.</summary>
    private sealed class BufferedWriter(TextWriter inner) : StringWriter
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Write(ToString());
            base.Dispose(disposing);
        }
    }
}
