using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// <c>flows mptcp --interface IF --pm-check</c> in the client namespace of an <see cref="MptcpLab"/>, against the
/// kernel's own account: <c>ip mptcp monitor</c> running beside it and the MPTCP_INFO token the client prints. One
/// connection that uses every signal the check compares (a join with the backup flag, the server's ADD_ADDR, its
/// MP_PRIO and REMOVE_ADDR, the client's signal endpoint and its echo) agrees everywhere; the same connection watched
/// on one path only is missing exactly the subflow of the other path.
/// </summary>
public sealed partial class PmCheckLiveTests
{
    private const int Port = 5302;

    [KernelFact("python3")]
    public void Every_event_of_a_two_path_connection_agrees_with_the_wire()
    {
        using var lab = new MptcpLab("pxc", "pxs");
        lab.Client.Ip("addr", "add", "10.11.1.11/24", "dev", "c1");
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "id", "1", "subflow", "backup");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.1.11", "dev", "c1", "id", "2", "signal");
        lab.Server.Ip("mptcp", "endpoint", "add", "10.11.2.2", "dev", "s2", "id", "1", "signal");
        BackgroundProcess events = MptcpLabTraffic.Events(lab, lab.Client);
        BackgroundProcess monitor = MptcpLabTraffic.Monitor(lab, "--interface", "any", "--pm-check", "--fail-on-discrepancy", "--format", "json");
        MptcpLabTraffic.Server(lab, Port);
        BackgroundProcess client = MptcpLabTraffic.Client(lab, "10.11.1.2", Port, 4);

        // While the data flows: both joins up, then the server marks its second address backup (MP_PRIO on the join
        // to it, SUB_PRIORITY here) and withdraws it (REMOVE_ADDR, REMOVED here).
        TaskTimeouts.WaitUntil(() => Count(events.Output, "SF_ESTABLISHED") == 2, TimeSpan.FromSeconds(10), "two joined subflows");
        lab.Server.Ip("mptcp", "endpoint", "change", "id", "1", "backup");
        TaskTimeouts.WaitUntil(() => events.Output.Contains("SF_PRIO", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "SUB_PRIORITY");
        lab.Server.Ip("mptcp", "endpoint", "delete", "id", "1");
        TaskTimeouts.WaitUntil(() => events.Output.Contains("REMOVED", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "REMOVED");
        MptcpLabTraffic.WaitForExit(client, "the MPTCP client");
        TaskTimeouts.WaitUntil(() => events.Output.Contains("CLOSED]", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "CLOSED");
        Thread.Sleep(500);
        MptcpLabTraffic.Interrupt(monitor);

        Assert.Equal(0, monitor.ExitCode);
        Assert.Contains("tributary: pm check: 1 kernel connections, 0 discrepancies\n", monitor.Error, StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(monitor.Output);
        JsonElement wire = Assert.Single(doc.RootElement.GetProperty("connections").EnumerateArray());
        JsonElement check = doc.RootElement.GetProperty("pm_check");
        JsonElement kernel = Assert.Single(check.GetProperty("kernel_connections").EnumerateArray());

        // The tokens: MPTCP_INFO's (the client's), ip mptcp monitor's, the kernel view's, the wire's client token.
        string infoToken = TokenRegex().Matches(client.Output).Select(m => m.Groups[1].Value).Last();
        Assert.Equal(infoToken, CreatedToken().Match(events.Output).Groups[1].Value);
        Assert.Equal(infoToken, kernel.GetProperty("token").GetString());
        Assert.Equal(infoToken, wire.GetProperty("client_token").GetString());
        JsonElement agree = Assert.Single(check.GetProperty("findings").EnumerateArray());
        Assert.Equal(("agree", infoToken, "client", 0), (agree.GetProperty("check").GetString(), agree.GetProperty("token").GetString(),
            agree.GetProperty("side").GetString(), agree.GetProperty("conn").GetInt32()));
        Assert.Equal(0, check.GetProperty("discrepancies").GetInt32());
        Assert.Equal(0, check.GetProperty("events_lost").GetInt32());

        // The subflows: ip mptcp monitor's CREATED and SF_ESTABLISHED ends = the kernel view's = the wire's established ones.
        string[] monitorEnds = [.. SubflowLine().Matches(events.Output).Select(m => $"{m.Groups[1].Value}:{m.Groups[3].Value}-{m.Groups[2].Value}:{m.Groups[4].Value}").Distinct().Order()];
        Assert.Equal(3, monitorEnds.Length);
        Assert.Equal(monitorEnds, kernel.GetProperty("subflows").EnumerateArray()
            .Select(s => s.GetProperty("local").GetString() + "-" + s.GetProperty("remote").GetString()).Order());
        Assert.Equal(monitorEnds, wire.GetProperty("subflows").EnumerateArray().Where(s => s.GetProperty("established").GetBoolean())
            .Select(s => s.GetProperty("opened_by").GetString() == "client"
                ? $"{s.GetProperty("opener").GetString()}:{s.GetProperty("opener_port").GetInt32()}-{s.GetProperty("responder").GetString()}:{s.GetProperty("responder_port").GetInt32()}"
                : $"{s.GetProperty("responder").GetString()}:{s.GetProperty("responder_port").GetInt32()}-{s.GetProperty("opener").GetString()}:{s.GetProperty("opener_port").GetInt32()}")
            .Order());

        // The server's address: announced (ANNOUNCED here, ADD_ADDR from the server there), then removed.
        JsonElement announced = Assert.Single(kernel.GetProperty("announced").EnumerateArray());
        Assert.Equal((1, "10.11.2.2"), (announced.GetProperty("id").GetInt32(), announced.GetProperty("address").GetString()));
        Assert.Contains(wire.GetProperty("add_addr").EnumerateArray(), a => a.GetProperty("sender").GetString() == "server"
            && a.GetProperty("id").GetInt32() == 1 && a.GetProperty("address").GetString() == "10.11.2.2" && !a.GetProperty("echo").GetBoolean());
        Assert.Equal([1], kernel.GetProperty("removed").EnumerateArray().Select(e => e.GetInt32()));
        // The priority change: the join to 10.11.2.2 is backup by the server's MP_PRIO.
        JsonElement toS2 = Assert.Single(kernel.GetProperty("subflows").EnumerateArray(), s => s.GetProperty("remote").GetString()!.StartsWith("10.11.2.2:", StringComparison.Ordinal));
        Assert.Equal((1, true), (toS2.GetProperty("priority_events").GetInt32(), toS2.GetProperty("backup").GetBoolean()));
        // The client's own signal endpoint went out and came back echoed (no kernel event tells that).
        JsonElement signal = Assert.Single(check.GetProperty("signal_endpoints").EnumerateArray());
        Assert.Equal((2, "10.11.1.11"), (signal.GetProperty("id").GetInt32(), signal.GetProperty("address").GetString()));
        Assert.Contains(wire.GetProperty("add_addr").EnumerateArray(), a => a.GetProperty("sender").GetString() == "server"
            && a.GetProperty("id").GetInt32() == 2 && a.GetProperty("address").GetString() == "10.11.1.11" && a.GetProperty("echo").GetBoolean());
    }

    [KernelFact("python3")]
    public void A_capture_of_one_path_misses_exactly_the_subflow_of_the_other()
    {
        using var lab = new MptcpLab("pyc", "pys");
        lab.Client.Ip("mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4");
        lab.Client.Ip("mptcp", "endpoint", "add", "10.11.2.1", "dev", "c2", "id", "1", "subflow");
        BackgroundProcess events = MptcpLabTraffic.Events(lab, lab.Client);
        BackgroundProcess monitor = MptcpLabTraffic.Monitor(lab, "--interface", "c1", "--pm-check", "--fail-on-discrepancy");
        MptcpLabTraffic.Server(lab, Port);
        BackgroundProcess client = MptcpLabTraffic.Client(lab, "10.11.1.2", Port, 2);
        MptcpLabTraffic.WaitForExit(client, "the MPTCP client");
        TaskTimeouts.WaitUntil(() => events.Output.Contains("CLOSED]", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "CLOSED");
        Thread.Sleep(500);
        MptcpLabTraffic.Interrupt(monitor);

        Assert.Equal(3, monitor.ExitCode); // --fail-on-discrepancy
        Assert.Contains("tributary: pm check: 1 kernel connections, 1 discrepancies\n", monitor.Error, StringComparison.Ordinal);
        // The join leaves through c2 (its endpoint is bound to it): ip mptcp monitor names its port.
        Match join = Assert.Single(SubflowLine().Matches(events.Output), m => m.Value.StartsWith("[SF_ESTABLISHED]", StringComparison.Ordinal));
        Assert.Equal(("10.11.2.1", "10.11.1.2", "5302"), (join.Groups[1].Value, join.Groups[2].Value, join.Groups[4].Value));
        string token = CreatedToken().Match(events.Output).Groups[1].Value;
        string[] sections = monitor.Output.Split("\n\n");
        Assert.Equal(2, sections.Length);
        Assert.Equal(
            "pm_check\tconn\ttoken\tside\tsubject\tkernel\twire\n" +
            $"subflow_kernel_only\t0\t{token}\tclient\t10.11.2.1:{join.Groups[3].Value}-10.11.1.2:5302\tlocid=1,remid=0\t-\n",
            sections[1]);
        string[] row = sections[0].Split('\n')[1].Split('\t');
        Assert.Equal(("mptcp", token, "1"), (row[1], row[7], row[9])); // the wire: one subflow, the client's token
    }

    private static int Count(string text, string word) => Regex.Count(text, Regex.Escape(word));

    [GeneratedRegex(@"token=0x([0-9a-f]{8})")]
    private static partial Regex TokenRegex();

    [GeneratedRegex(@"\[\s*CREATED\] token=([0-9a-f]{8})")]
    private static partial Regex CreatedToken();

    [GeneratedRegex(@"\[\s*(?:CREATED|SF_ESTABLISHED)\] .*?saddr4=(\S+) daddr4=(\S+) sport=(\d+) dport=(\d+)")]
    private static partial Regex SubflowLine();
}
