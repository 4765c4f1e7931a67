using System.CommandLine;
using Tributary.Capture;
using Tributary.Flows;
using Tributary.Flows.Applications.Trace;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows trace CAPTURE [options]</c>: the reference tracer of reference/mos/TRACER.md (options §2.1,
/// output grammar §3). With --mos-compat the output equals the real mOS core's traces byte for byte.
/// </summary>
internal static class FlowsTraceCommand
{
    /// <summary>The command; <paramref name="output"/>/<paramref name="error"/> replace stdout/stderr (in-process tests).</summary>
    public static Command Create(TextWriter? output = null, TextWriter? error = null)
    {
        Argument<string?> capture = FlowsInput.CaptureArgument();
        Option<string?> iface = FlowsInput.InterfaceOption();
        var config = new Option<string?>("--config") { Description = "mOS configuration file (mos { key = value … }).", HelpName = "FILE" };
        var syn = new Option<string?>("--syn-filter") { Description = "Stream SYN filter of the first listener (tcpdump syntax).", HelpName = "EXPR" };
        var orphan = new Option<string?>("--orphan-filter") { Description = "Stream orphan filter of the first listener.", HelpName = "EXPR" };
        var raw = new Option<string?>("--raw-filter") { Description = "A raw socket with this filter ('none' = no filter).", HelpName = "EXPR" };
        var second = new Option<string?>("--second-listener") { Description = "A second stream listener with this SYN filter ('none' = no filter).", HelpName = "SYNFILTER" };
        var noPeek = new Option<bool>("--no-peek") { Description = "No peek in CONN_NEW_DATA." };
        var peekForce = new Option<bool>("--peek-force") { Description = "Peek even when nothing is new." };
        var overlapLast = new Option<bool>("--overlap-last") { Description = "Overlap policy LAST on both sides, tried in every HK_RCV PKT_IN until it succeeds." };
        var ude = new Option<int>("--ude") { Description = "User-defined events: 1 (with illegal registrations and re-registration) or 2.", HelpName = "1|2", CustomParser = NumberOption.Int32(1, 2, "must be 1 or 2") };
        var noBuffers = new Option<bool>("--no-buffers") { Description = "Receive buffers off on each stream listener." };
        var stopSide = new Option<string?>("--stop-side") { Description = "Side stopped by --stop-at.", HelpName = "cli|svr|both" };
        stopSide.AcceptOnlyFromAmong("cli", "svr", "both");
        var stopAt = new Option<int>("--stop-at") { Description = "MOS_STOP_MON at the N-th HK_RCV PKT_IN callback of each flow socket.", HelpName = "N" };
        var unregisterAt = new Option<int>("--unregister-at") { Description = "De-register at the N-th HK_RCV PKT_IN callback of each flow socket.", HelpName = "N" };
        var unregisterEvent = new Option<string>("--unregister-event") { Description = "Event de-registered by --unregister-at.", HelpName = "EVENT", DefaultValueFactory = _ => "PKT_IN" };
        var unregisterHook = new Option<string>("--unregister-hook") { Description = "Hook of --unregister-at.", HelpName = "snd|rcv", DefaultValueFactory = _ => "rcv" };
        unregisterHook.AcceptOnlyFromAmong("snd", "rcv");
        var unregisterListener = new Option<bool>("--unregister-listener") { Description = "De-register on the first listener instead of the flow socket." };
        var drain = new Option<bool>("--drain-on-error") { Description = "Peek in every ERROR callback." };
        var tail = new Option<int>("--tail-ms") { Description = "Time that passes after the last frame (default 200).", HelpName = "MS", DefaultValueFactory = _ => 200, CustomParser = NumberOption.Int32(0, int.MaxValue, "must not be negative") };
        var timer = new Option<int?>("--timer-ms") { Description = "User timer 77 after MS ms.", HelpName = "MS", CustomParser = NumberOption.NullableInt32(0, int.MaxValue, "must not be negative") };
        var onlyRcv = new Option<bool>("--only-rcv") { Description = "No HK_SND registrations on the stream listeners." };
        var dump = new Option<bool>("--dump") { Description = "ppeek dump of both buffers in every HK_RCV PKT_IN callback of a flow socket." };
        var peekAt = new Option<int>("--peek-at") { Description = "Peek only from the N-th CONN_NEW_DATA callback on.", HelpName = "N" };
        var dropAt = new Option<int>("--drop-at") { Description = "MOS_DROP at the N-th HK_SND PKT_IN callback of each flow socket.", HelpName = "N" };
        var compat = new Option<bool>("--mos-compat") { Description = "Reproduce mOS's observable behaviour (reference/mos/DEVIATIONS.md)." };
        var showBuffers = new Option<bool>("--show-buffers") { Description = "Print the buffer part of callback lines." };
        var set = new Option<string[]>("--set") { Description = "Set a configuration key (rmem_size, tcp_timeout, tcp_tw_interval, max_concurrency, forward); repeatable.", HelpName = "KEY=VALUE" };
        var noPreamble = new Option<bool>("--no-preamble") { Description = "Do not print the setup lines." };
        var midstream = new Option<bool>("--midstream") { Description = "Create flows from packets whose SYN was not seen (DEVIATIONS B33; not with --mos-compat)." };
        foreach (Option<int> o in (Option<int>[])[stopAt, unregisterAt, peekAt, dropAt])
            o.CustomParser = NumberOption.Int32(0, int.MaxValue, "must not be negative");

        var cmd = new Command("trace", "Trace every monitoring callback of a capture (the mOS reference tracer, reference/mos/TRACER.md).")
        {
            capture, config, syn, orphan, raw, second, noPeek, peekForce, overlapLast, ude, noBuffers, stopSide, stopAt,
            unregisterAt, unregisterEvent, unregisterHook, unregisterListener, drain, tail, timer, onlyRcv, dump, peekAt, dropAt,
            compat, showBuffers, set, noPreamble, midstream, iface,
        };
        FlowsInput.Validate(cmd, capture, iface);
        cmd.Validators.Add(r =>
        {
            if (NumberOption.ValueOr(r, stopAt, 0) > 0 && r.GetValue(stopSide) is null)
                r.AddError("--stop-at needs --stop-side cli|svr|both");
            if (r.GetValue(midstream) && r.GetValue(compat))
                r.AddError("--midstream cannot be combined with --mos-compat: mOS never picks up a flow mid-stream (DEVIATIONS B33)");
            if (ReferenceTracer.ParseEventName(r.GetValue(unregisterEvent)!) is null)
                r.AddError($"--unregister-event: unknown event '{r.GetValue(unregisterEvent)}'");
        });
        cmd.SetAction((parse, ct) =>
        {
            if (output is not null)
                return Task.FromResult(Execute(parse, output, error ?? Console.Error, ct));
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            return Task.FromResult(Execute(parse, stdout, Console.Error, ct));
        });
        return cmd;

        int Execute(ParseResult parse, TextWriter output, TextWriter error, CancellationToken ct)
        {
            MonitorContextOptions contextOptions;
            try
            {
                contextOptions = TraceConfiguration.Build(parse.GetValue(compat), parse.GetValue(config),
                    parse.GetValue(set) ?? [], w => error.WriteLine($"tributary: warning: {w}"));
                if (parse.GetValue(midstream))
                    contextOptions = contextOptions with { AdoptMidstream = true };
            }
            catch (ArgumentException ex)
            {
                throw new CommandLineException(ex.Message, CommandRunner.ExitUsage); // B31: before any output
            }
            var options = new TraceOptions
            {
                SynFilter = parse.GetValue(syn),
                OrphanFilter = parse.GetValue(orphan),
                RawFilter = parse.GetValue(raw),
                SecondListener = parse.GetValue(second),
                NoPeek = parse.GetValue(noPeek),
                PeekForce = parse.GetValue(peekForce),
                OverlapLast = parse.GetValue(overlapLast),
                Ude = parse.GetValue(ude),
                NoBuffers = parse.GetValue(noBuffers),
                StopSide = parse.GetValue(stopSide) switch { "cli" => Side.Client, "svr" => Side.Server, "both" => Side.Both, _ => null },
                StopAt = parse.GetValue(stopAt),
                UnregisterAt = parse.GetValue(unregisterAt),
                UnregisterEvent = ReferenceTracer.ParseEventName(parse.GetValue(unregisterEvent)!)!.Value,
                UnregisterHook = parse.GetValue(unregisterHook) == "snd" ? HookPoint.Send : HookPoint.Receive,
                UnregisterListener = parse.GetValue(unregisterListener),
                DrainOnError = parse.GetValue(drain),
                TailMilliseconds = parse.GetValue(tail),
                TimerMilliseconds = parse.GetValue(timer) ?? -1,
                OnlyReceive = parse.GetValue(onlyRcv),
                Dump = parse.GetValue(dump),
                PeekAt = parse.GetValue(peekAt),
                DropAt = parse.GetValue(dropAt),
                ShowBuffers = parse.GetValue(showBuffers),
                NoPreamble = parse.GetValue(noPreamble),
            };
            if (parse.GetValue(iface) is not null)
                contextOptions = contextOptions with { OfflineClock = false };
            return FlowsInput.Run(parse.GetValue(capture), parse.GetValue(iface), ct,
                source => new ReferenceTracer(options, contextOptions, output).Run(source));
        }
    }
}
