namespace Tributary.Flows.Applications.Firewall;

/// <summary>A rules file that cannot be used: the message names the file, the line and what is wrong (<c>rules.conf:3: bad address "10.0.0.300"</c>).</summary>
public sealed class FirewallRuleException : FormatException
{
    public FirewallRuleException(string fileName, int lineNumber, string problem)
        : base($"{fileName}:{lineNumber}: {problem}")
    {
        FileName = fileName;
        LineNumber = lineNumber;
        Problem = problem;
    }

    public string FileName { get; }

    /// <summary>1-based line of the rules file.</summary>
    public int LineNumber { get; }

    /// <summary>What is wrong, without the file and line.</summary>
    public string Problem { get; }
}
