using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tributary.Capture.Live;
using Tributary.Flows;
using Tributary.Flows.Applications.Nat;
using Tributary.Flows.Inline;

namespace Tributary.Cli.Commands.Flows;

/// <summary>
/// <c>tributary flows nat --address IPv4 --inline IF_A IF_B [--mos-compat]</c>: mOS's nat sample (SAMPLES.md §3), source
/// NAT on a box forwarding between two interfaces, until SIGINT/SIGTERM; then its counters, one <c>key value</c> a line.
/// </summary>
internal static class FlowsNatCommand
{
    public static Command Create()
    {
        var address = new Option<IPAddress?>("--address")
        {
            Description = "The IPv4 address translated connections leave with (their replies must be routed to this box).",
            HelpName = "IPv4",
            Required = true,
            CustomParser = ParseAddress,
        };
        var inline = new Option<string[]>("--inline")
        {
            Description = "The two interfaces to forward between (inline mode); connections started from either side are translated.",
            HelpName = "IF_A IF_B",
            Required = true,
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };
        var compat = new Option<bool>("--mos-compat") { Description = "Reproduce mOS's observable behaviour (reference/mos/DEVIATIONS.md)." };
        var cmd = new Command("nat", "Source NAT between two interfaces (mOS's nat sample): TCP over IPv4 leaves with the NAT address and a port per connection.")
        {
            address, inline, compat,
        };
        cmd.Validators.Add(r =>
        {
            string[] names = NumberOption.ValueOr(r, inline, []);
            if (names is [string a, string b] && a == b)
                r.AddError($"--inline needs two different interfaces (got {a} twice)");
        });
        cmd.SetAction((parse, ct) =>
        {
            string[] names = parse.GetValue(inline)!;
            return Task.FromResult(Run(parse.GetValue(address)!, names[0], names[1], parse.GetValue(compat), ct));
        });
        return cmd;
    }

    /// <summary>A dotted quad only (IPAddress.Parse also takes "10.1" and "0x0a000001"), and an address a host can send from.</summary>
    private static IPAddress? ParseAddress(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return null;
        string text = r.Tokens[0].Value;
        if (!IPAddress.TryParse(text, out IPAddress? a) || a.AddressFamily != AddressFamily.InterNetwork
            || a.ToString() != text)
        {
            r.AddError($"--address: '{text}' is not an IPv4 address (dotted quad, e.g. 192.0.2.1)");
            return null;
        }
        byte first = a.GetAddressBytes()[0];
        if (a.Equals(IPAddress.Any) || a.Equals(IPAddress.Broadcast) || first is >= 224 and < 240)
        {
            r.AddError($"--address: {text} cannot be a source address");
            return null;
        }
        return a;
    }

    private static int Run(IPAddress address, string interfaceA, string interfaceB, bool mosCompat, CancellationToken ct)
    {
        using var context = new MonitorContext(new MonitorContextOptions { Forward = true, MosCompat = mosCompat, OfflineClock = false });
        var nat = new SourceNat(context, address);
        InlineMonitor monitor;
        try
        {
            monitor = new InlineMonitor(context, interfaceA, interfaceB);
        }
        catch (CaptureSystemException ex)
        {
            throw new CommandLineException(ex.Message);
        }
        string? fault = null;
        using (monitor)
        {
            try
            {
                monitor.Run(ct);
            }
            catch (Exception ex) when (InputFault.Is(ex))
            {
                fault = ex.Message; // the counters up to the fault, then the error (the message names the operation and interface)
            }
        }
        using var w = new StreamWriter(Console.OpenStandardOutput());
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        w.Write(F($"translated_flows {nat.TranslatedFlows}\nports_in_use {nat.PortsInUse}\ndropped_packets {nat.DroppedPackets}\n"));
        w.Write(F($"pool_exhausted {nat.PoolExhausted}\ndropped_orphans {nat.DroppedOrphans}\nuntranslated_ipv6_flows {nat.UntranslatedFlows}\n"));
        w.Write(F($"packets {context.Statistics.Packets}\nforwarded_a_to_b {monitor.ForwardedAToB}\nforwarded_b_to_a {monitor.ForwardedBToA}\n"));
        w.Write(F($"segmented_frames {monitor.SegmentedFrames}\noversized_frames {monitor.OversizedFrames}\ntransmit_queue_drops {monitor.TransmitQueueDrops}\n"));
        w.Flush();
        if (fault is null)
            return CommandRunner.ExitOk;
        Console.Error.WriteLine($"tributary: {fault}");
        return CommandRunner.ExitFailure;
    }
}
