using System.CommandLine;
using System.Text.RegularExpressions;
using Tributary.Cli;
using Tributary.Cli.Commands.Flows;

namespace Tributary.Flows.Tests.Trace;

/// <summary>Runs <c>tributary flows trace</c> in-process (same command object as the CLI) and captures its output.</summary>
internal static partial class TraceRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static string MosDirectory => SharedPaths.RequireShared("reference", "mos");

    public static Result Run(IEnumerable<string> arguments)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter();
        var root = new RootCommand { FlowsTraceCommand.Create(stdout, stderr) };
        ParseResult parse = root.Parse(["trace", .. arguments]);
        if (parse.Errors.Count > 0)
            return new Result(CommandRunner.ExitUsage, "", string.Join("\n", parse.Errors.Select(e => e.Message)));
        try
        {
            int rc = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            return new Result(rc, stdout.ToString(), stderr.ToString());
        }
        catch (CommandLineException ex)
        {
            return new Result(ex.ExitCode, stdout.ToString(), ex.Message);
        }
    }

    /// <summary>One row of TRACER.md §6: the reference file name and the command's arguments (capture made absolute).</summary>
    public sealed record Case(string Name, string[] Arguments)
    {
        public override string ToString() => Name;
    }

    /// <summary>Every command line of TRACER.md §6's table (the .withbuf variants add --show-buffers).</summary>
    public static IReadOnlyList<Case> Cases()
    {
        var cases = new List<Case>();
        foreach (string line in File.ReadLines(Path.Combine(MosDirectory, "TRACER.md")))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal) || !line.Contains("tributary flows trace", StringComparison.Ordinal))
                continue;
            string[] cols = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            string name = Backticked().Match(cols[0]).Groups[1].Value;
            string command = CommandPattern().Match(cols[3]).Groups[1].Value;
            string[] args = [.. Tokenize(command).Skip(3)];
            args[0] = Path.Combine(MosDirectory, args[0]);
            cases.Add(new Case(name, args));
            if (cols[0].Contains(".withbuf", StringComparison.Ordinal))
                cases.Add(new Case(name + ".withbuf", [.. args, "--show-buffers"]));
        }
        return cases;
    }

    /// <summary>The reference output: the strict trace without its two separator lines (TRACER §3.1).</summary>
    public static string Reference(string name)
    {
        string[] lines = File.ReadAllText(Path.Combine(MosDirectory, "traces", "strict", name + ".txt")).Split('\n');
        return string.Join('\n', lines.Skip(2));
    }

    private static IEnumerable<string> Tokenize(string command)
    {
        foreach (Match m in Token().Matches(command))
            yield return m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex("`(tributary flows trace [^`]+)`")]
    private static partial Regex CommandPattern();

    [GeneratedRegex(@"'([^']*)'|(\S+)")]
    private static partial Regex Token();
}
