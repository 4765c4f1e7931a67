using System.CommandLine;
using Tributary.Capture;
using Tributary.Capture.Files;
using Tributary.Capture.Live;
using Tributary.Flows;
using Tributary.Flows.Applications.Firewall;
using Tributary.Flows.Inline;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows firewall --rules FILE (CAPTURE [--write OUT] | --inline IF_A IF_B) [--interval S] [--mos-compat]</c>:
/// mOS's simple_firewall (reference/mos/SAMPLES.md §2). Inline, it is a middlebox between two interfaces until
/// SIGINT/SIGTERM; on a capture it replays the frames through the firewall and writes those it forwards.
/// </summary>
internal static class FlowsFirewallCommand
{
    public static Command Create()
    {
        var rules = new Option<string>("--rules")
        {
            Description = "Rules file: ACTION SRC[/len] DST[/len] [sport:N] [dport:N] per line, first match wins, default ACCEPT.",
            HelpName = "FILE",
            Required = true,
        };
        Argument<string?> capture = FlowsInput.CaptureArgument();
        var write = new Option<string?>("--write", "-w")
        {
            Description = "Write the frames the firewall forwards to this pcap file (with a CAPTURE). Only SYNs are dropped: later packets of a dropped connection that the capture recorded still pass.",
            HelpName = "OUT.pcap",
        };
        var inline = new Option<string[]>("--inline")
        {
            Description = "Run as a middlebox forwarding between these two interfaces until interrupted.",
            HelpName = "IF_A IF_B",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };
        Option<TimeSpan> interval = FlowsInput.IntervalOption("rule tables");
        var compat = new Option<bool>("--mos-compat") { Description = "Reproduce mOS's observable behaviour (accepted flows stay monitored: DEVIATIONS B8)." };
        var cmd = new Command("firewall", "mOS's simple_firewall: drop or accept each connection's first SYN by a rule table, print the rule hits.")
        {
            rules, capture, write, inline, interval, compat,
        };
        cmd.Validators.Add(r =>
        {
            bool hasInline = r.GetResult(inline) is not null;
            if ((r.GetValue(capture) is null) == !hasInline)
                r.AddError("give either a CAPTURE file or --inline IF_A IF_B");
            else if (hasInline && r.GetValue(write) is not null)
                r.AddError("--write needs a CAPTURE file (inline, forwarded frames go out of the other interface)");
        });
        cmd.SetAction((parse, ct) =>
        {
            FirewallRuleSet ruleSet = LoadRules(parse.GetValue(rules)!);
            var options = new MonitorContextOptions { MosCompat = parse.GetValue(compat), Forward = true };
            TimeSpan every = FlowsInput.Interval(parse, interval);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            // An option left out reads as an empty array, not null: ask whether it was given.
            string[]? interfaces = parse.GetResult(inline) is null ? null : parse.GetValue(inline);
            int status = interfaces is not null
                ? RunInline(ruleSet, options with { OfflineClock = false }, interfaces[0], interfaces[1], every, stdout, ct)
                : RunCapture(ruleSet, options, parse.GetValue(capture)!, parse.GetValue(write), every, stdout, ct);
            return Task.FromResult(status);
        });
        return cmd;
    }

    /// <summary>The rules, or a usage error (exit 2, DESIGN.md "Bad input": configuration) naming the file and line.</summary>
    private static FirewallRuleSet LoadRules(string path)
    {
        try
        {
            return FirewallRuleSet.Load(path);
        }
        catch (FirewallRuleException ex)
        {
            throw new CommandLineException(ex.Message, CommandRunner.ExitUsage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(FileErrors.Describe(path, ex), CommandRunner.ExitUsage);
        }
    }

    private static int RunCapture(FirewallRuleSet rules, MonitorContextOptions options, string path, string? outputPath, TimeSpan every,
        TextWriter stdout, CancellationToken ct)
    {
        using var context = new MonitorContext(options);
        var firewall = new SynFirewall(context, rules);
        if (every > TimeSpan.Zero)
            firewall.PrintEvery(every, stdout);
        string? fault = null;
        using (PacketSource packets = FlowsInput.Open(path, null, ct, out CancellationTokenRegistration stop))
        using (stop)
        using (IFrameSource source = outputPath is null ? new CaptureFrameSource(packets) : new ReplayFrameSource(packets, CreateOutput(outputPath), outputPath))
        {
            if (source is ReplayFrameSource replay)
                context.ForwardSink = replay.Forward;
            try
            {
                long last = context.Run(source, ct);
                if (last != long.MinValue)
                    context.Finish(last);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                fault = InputFault.Describe(ex, null); // everything before the fault was filtered and written
            }
        }
        firewall.WriteTable(stdout);
        stdout.Flush();
        long discarded = context.Statistics.Dropped - firewall.DroppedSyns; // the engine counts both as not forwarded
        if (outputPath is not null && discarded > 0)
        {
            // Not the rules: the stack discards what a router would (mOS too), and the output would silently lack it.
            Console.Error.WriteLine($"tributary: {discarded} frames not forwarded: discarded by the stack (a bad IPv4 header checksum, or a malformed IP or TCP header), as by a router and by mOS");
        }
        if (fault is not null)
            throw new CommandLineException(fault);
        return CommandRunner.ExitOk;
    }

    /// <summary>The --write file, opened before the run (a path that cannot be written is an error before any output).</summary>
    private static FileStream CreateOutput(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineException(FileErrors.Describe(path, ex));
        }
    }

    private static int RunInline(FirewallRuleSet rules, MonitorContextOptions options, string interfaceA, string interfaceB, TimeSpan every,
        TextWriter stdout, CancellationToken ct)
    {
        using var context = new MonitorContext(options);
        var firewall = new SynFirewall(context, rules);
        InlineMonitor monitor;
        try
        {
            monitor = new InlineMonitor(context, interfaceA, interfaceB);
        }
        catch (CaptureSystemException ex)
        {
            throw new CommandLineException($"--inline {interfaceA} {interfaceB}: {ex.Message}");
        }
        string? fault = null;
        using (monitor)
        {
            if (every > TimeSpan.Zero)
                firewall.PrintEvery(every, stdout);
            try
            {
                monitor.Run(ct);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                fault = ex.Message; // an interface went away or down: the table up to then, then the error
            }
            if (monitor.OversizedFrames > 0)
                Console.Error.WriteLine($"tributary: {monitor.OversizedFrames} frames not forwarded: above the MTU and not a super-frame that can be split");
            if (monitor.TransmitQueueDrops > 0)
                Console.Error.WriteLine($"tributary: {monitor.TransmitQueueDrops} frames not forwarded: the interface's transmit queue was full");
        }
        firewall.WriteTable(stdout);
        stdout.Flush();
        if (fault is null)
            return CommandRunner.ExitOk;
        Console.Error.WriteLine($"tributary: {fault}");
        return CommandRunner.ExitFailure;
    }
}
