using System.Net;
using Tributary.Links;
using Tributary.Netlink;

namespace Tributary.Cli.Commands.Links;

/// <summary>Runs the monitor for <c>tributary links</c> and prints its events.</summary>
internal static class LinksRunner
{
    /// <summary>
    /// Runs the command, printing to <paramref name="output"/>, which should buffer: it is flushed
    /// once per burst of events (and at the end), not per line.
    /// </summary>
    public static async Task<int> RunAsync(LinksSettings settings, Stream output, CancellationToken cancellationToken)
    {
        NetworkMonitor monitor;
        try
        {
            var options = new NetworkMonitorOptions
            {
                NetworkNamespace = settings.NetworkNamespace,
                Logger = new StderrLogger(settings.LogLevel),
                ReceiveBufferSize = settings.ReceiveBuffer ?? new NetworkMonitorOptions().ReceiveBufferSize,
            };
            monitor = NetworkMonitor.Create(settings.Flags, options);
        }
        catch (NetlinkException ex)
        {
            throw new CommandLineException($"links: cannot open the network monitor: {ex.Message}");
        }
        using (monitor)
        {
            monitor.MonitorLoopback(settings.Loopback);
            var printer = new LinkEventPrinter(output, settings.Json);
            if (settings.Once)
            {
                monitor.Start();
                monitor.WaitForRouteChecks(TimeSpan.FromSeconds(1));
                monitor.ForEachInterface((i, _) =>
                {
                    printer.NewInterface(i, null);
                    foreach (IPAddress a in i.Addresses)
                    {
                        i.TryGetAddressFlags(a, out AddressFlags flags);
                        printer.NewAddress(i, a, flags, null);
                    }
                });
                printer.Flush();
                return CommandRunner.ExitOk;
            }
            monitor.RegisterOps(printer);
            monitor.Idle += printer.Flush;
            monitor.Start();
            printer.Flush(); // what Start reported (--existing)
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            monitor.Dispose(); // stops the monitor thread, so nothing is written after the last flush
            printer.Flush();
            return CommandRunner.ExitOk;
        }
    }
}
