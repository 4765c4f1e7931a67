using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tributary.Links;

namespace Tributary.Cli.Commands.Links;

/// <summary>
/// <c>tributary links</c>: the network monitor on the command line, one line per event
/// (DESIGN.md "Contracts"). Text or <c>--json</c>; <c>--once</c> lists the tracked interfaces and
/// addresses and exits.
/// </summary>
internal static class LinksCommand
{
    public static Command Create()
    {
        var existing = new Option<bool>("--existing") { Description = "Report the addresses present at start (notify flag 'existing')." };
        var skipLinkLocal = new Option<bool>("--skip-link-local") { Description = "Ignore link-local addresses: link scope (fe80::/10) and IPv4 169.254.0.0/16 ('skip_link_local')." };
        var skipLoopback = new Option<bool>("--skip-loopback") { Description = "Ignore host-scope addresses ('skip_loopback')." };
        var skipUla = new Option<bool>("--skip-ula") { Description = "Ignore IPv6 unique local addresses, fc00::/7 ('skip_ula')." };
        var skipTemporary = new Option<bool>("--skip-temporary") { Description = "Ignore IPv6 temporary (privacy) addresses ('skip_temporary')." };
        var skipDeprecated = new Option<bool>("--skip-deprecated") { Description = "Ignore deprecated addresses (preferred lifetime over); one renewed is reported again ('skip_deprecated')." };
        var skipTentative = new Option<bool>("--skip-tentative") { Description = "Ignore IPv6 addresses until duplicate address detection completes, and those it failed ('skip_tentative')." };
        var checkRoute = new Option<bool>("--check-route") { Description = "Report an address only once a default route goes out of its interface ('check_route')." };
        var loopback = new Option<bool>("--loopback") { Description = "Track the loopback interface too." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line instead of text." };
        var once = new Option<bool>("--once") { Description = "Print the tracked interfaces and addresses, then exit." };
        var receiveBuffer = new Option<int?>("--receive-buffer")
        {
            Description = "Receive buffer of the event socket in bytes (a tiny one forces ENOBUFS, to exercise the resync).",
            HelpName = "BYTES",
            CustomParser = NumberOption.NullableInt32(1, int.MaxValue, "must be a positive number of bytes"),
        };
        var netns = new Option<string?>("--netns") { Description = "Monitor this named network namespace instead of the current one.", HelpName = "NAME" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log resyncs and route checks to standard error." };

        var cmd = new Command("links", "Watch network interfaces and addresses (mptcpd's network monitor, without its drift).")
        {
            existing, skipLinkLocal, skipLoopback, skipUla, skipTemporary, skipDeprecated, skipTentative, checkRoute, loopback, json, once, receiveBuffer, netns, verbose,
        };
        cmd.SetAction((parse, ct) =>
        {
            var flags = NotifyFlags.None;
            if (parse.GetValue(existing))
                flags |= NotifyFlags.Existing;
            if (parse.GetValue(skipLinkLocal))
                flags |= NotifyFlags.SkipLinkLocal;
            if (parse.GetValue(skipLoopback))
                flags |= NotifyFlags.SkipLoopback;
            if (parse.GetValue(skipUla))
                flags |= NotifyFlags.SkipUla;
            if (parse.GetValue(skipTemporary))
                flags |= NotifyFlags.SkipTemporary;
            if (parse.GetValue(skipDeprecated))
                flags |= NotifyFlags.SkipDeprecated;
            if (parse.GetValue(skipTentative))
                flags |= NotifyFlags.SkipTentative;
            if (parse.GetValue(checkRoute))
                flags |= NotifyFlags.CheckRoute;
            var settings = new LinksSettings(flags, parse.GetValue(loopback), parse.GetValue(json), parse.GetValue(once),
                parse.GetValue(receiveBuffer), parse.GetValue(netns), parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning);
            // Console.Out flushes on every write; the printer flushes per burst of events instead.
            var stdout = new BufferedStream(Console.OpenStandardOutput(), 64 * 1024);
            return LinksRunner.RunAsync(settings, stdout, ct);
        });
        return cmd;
    }
}
