using System.CommandLine;

namespace Tributary.Cli;

/// <summary>The CAPTURE argument of the capture and flows commands.</summary>
internal static class CaptureArgument
{
    /// <summary>How the error for an unknown option starts.</summary>
    public const string UnknownOption = "unrecognized option '";

    /// <summary>
    /// A pcap or pcapng file, or <c>-</c> for standard input. A word that starts with <c>-</c> is an option this
    /// command does not know: the parser would otherwise take it for the file and report the real file as an
    /// unexpected argument (a file whose name starts with <c>-</c> is given as <c>./-name</c>).
    /// </summary>
    public static Argument<string?> Create()
    {
        var capture = new Argument<string?>("CAPTURE")
        {
            Description = "pcap or pcapng file, or - for standard input.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        capture.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && r.Tokens[0].Value is ['-', _, ..] word)
                r.AddError($"{UnknownOption}{word}'");
        });
        return capture;
    }
}
