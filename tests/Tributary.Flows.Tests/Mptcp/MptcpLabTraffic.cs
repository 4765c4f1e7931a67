using System.Globalization;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// The processes of the live MPTCP flow tests in an <see cref="MptcpLab"/>: tools/mptcp/mptcp_app.py as server and
/// client, <c>ip mptcp monitor</c>, and <c>tributary flows mptcp</c> itself, each run inside a lab namespace, owned by
/// the lab (stopped by pid before its namespaces go).
/// </summary>
internal static class MptcpLabTraffic
{
    public static string App => SharedPaths.RequireShared("tools", "mptcp", "mptcp_app.py");

    /// <summary>The MPTCP server on 0.0.0.0:<paramref name="port"/> in the server namespace, once it listens.</summary>
    public static BackgroundProcess Server(MptcpLab lab, int port)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        BackgroundProcess server = lab.Own(new BackgroundProcess("ip", "netns", "exec", lab.Server.Name, "python3", App, "server", "0.0.0.0", p));
        TaskTimeouts.WaitUntil(() => lab.Server.Exec("ss", "-Hltn", $"sport = :{p}").StandardOutput.Contains("LISTEN", StringComparison.Ordinal) || server.HasExited,
            TimeSpan.FromSeconds(10), "the MPTCP server listening");
        Assert.False(server.HasExited, server.Error);
        return server;
    }

    /// <summary>The paced client (~1 KiB per 50 ms for <paramref name="seconds"/>) from the client namespace; it prints MPTCP_INFO.</summary>
    public static BackgroundProcess Client(MptcpLab lab, string server, int port, int seconds) =>
        lab.Own(new BackgroundProcess("ip", "netns", "exec", lab.Client.Name, "python3", App, "client", server,
            port.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)));

    /// <summary><c>ip mptcp monitor</c> in <paramref name="ns"/>: the kernel's events as iproute2 prints them.</summary>
    public static BackgroundProcess Events(MptcpLab lab, TestNetworkNamespace ns) =>
        lab.Own(new BackgroundProcess("ip", "netns", "exec", ns.Name, "ip", "mptcp", "monitor"));

    /// <summary><c>tributary flows mptcp ARGS</c> in the client namespace, once its capture is open.</summary>
    public static BackgroundProcess Monitor(MptcpLab lab, params string[] args)
    {
        BackgroundProcess monitor = lab.Own(new BackgroundProcess("ip", ["netns", "exec", lab.Client.Name, Launcher.Path, "flows", "mptcp", .. args], null));
        PacketSockets.WaitFor(monitor, 1);
        return monitor;
    }

    /// <summary>SIGINT (the clean stop of the monitor), then its exit.</summary>
    public static void Interrupt(BackgroundProcess p)
    {
        p.Signal(2);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "the monitor did not exit after SIGINT");
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public static void WaitForExit(BackgroundProcess p, string what) =>
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{what} did not end");
}
