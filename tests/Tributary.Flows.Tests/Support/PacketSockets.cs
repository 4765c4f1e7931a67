using System.Diagnostics;

namespace Tributary.Flows.Tests.Support;

/// <summary>Live-capture tests start the monitor as a process and must not send before it listens.</summary>
internal static class PacketSockets
{
    /// <summary>
    /// Waits until <paramref name="process"/> holds <paramref name="count"/> packet sockets (its descriptors that
    /// <c>/proc/PID/net/packet</c> lists), then a little longer for their rings and groups to be set up.
    /// </summary>
    public static void WaitFor(Process process, int count) =>
        WaitFor(process.Id, () => process.HasExited, () => process.StandardError.ReadToEnd(), count);

    /// <inheritdoc cref="WaitFor(Process, int)"/>
    public static void WaitFor(BackgroundProcess process, int count) =>
        WaitFor(process.Id, () => process.HasExited, () => { process.WaitForExit(TimeSpan.FromSeconds(5)); return process.Error; }, count);

    private static void WaitFor(int pid, Func<bool> exited, Func<string> stderr, int count)
    {
        int Open()
        {
            try
            {
                var inodes = File.ReadAllLines($"/proc/{pid}/net/packet").Skip(1)
                    .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToHashSet();
                return Directory.GetFiles($"/proc/{pid}/fd").Select(fd => new FileInfo(fd).LinkTarget)
                    .Count(t => t is not null && t.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(t[8..^1]));
            }
            catch (IOException)
            {
                return 0; // exiting, or between setns and exec
            }
        }
        TaskTimeouts.WaitUntil(() => Open() >= count || exited(), what: $"{count} packet sockets in process {pid}");
        if (exited())
            Assert.Fail($"the monitor exited before it captured: {stderr()}"); // only now: the read waits for the end
        Thread.Sleep(500);
    }
}
