using System.Diagnostics;
using System.Text.Json;
using Tributary.Flows.Tests.Support;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary><c>tributary flows mptcp</c> as a process: TSV and JSON agree, standard input, a truncated file (DESIGN.md "Bad input").</summary>
public sealed class FlowsMptcpCommandTests
{
    private static readonly string s_capture = Path.Combine(SharedPaths.Corpus, "gen__mptcp_any_sll2.pcap");

    [Fact]
    public void Json_has_every_subflow_and_address_option_of_the_tsv_rows()
    {
        ProcessResult tsv = ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", s_capture]).EnsureSuccess("flows mptcp");
        ProcessResult json = ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", "--format", "json", s_capture]).EnsureSuccess("flows mptcp --format json");
        string[] lines = tsv.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length); // header, 2 MPTCP connections, 5 fallbacks
        using JsonDocument doc = JsonDocument.Parse(json.StandardOutput);
        Assert.Equal(7, doc.RootElement.GetArrayLength());
        string[] columns = lines[0].Split('\t');
        foreach ((string line, JsonElement c) in lines[1..].Zip(doc.RootElement.EnumerateArray()))
        {
            Dictionary<string, string> row = columns.Zip(line.Split('\t')).ToDictionary(p => p.First, p => p.Second);
            Assert.Equal(row["kind"], c.GetProperty("kind").GetString());
            Assert.Equal(row["client_token"], c.GetProperty("client_token").GetString() ?? "-");
            Assert.Equal(row["tcp_streams"], string.Join(',', c.GetProperty("subflows").EnumerateArray().Select(s => s.GetProperty("tcp_stream").GetInt32())));
            Assert.Equal(long.Parse(row["bytes_s2c"], System.Globalization.CultureInfo.InvariantCulture),
                c.GetProperty("subflows").EnumerateArray().Sum(s => s.GetProperty("bytes_s2c").GetInt64()));
        }
        JsonElement second = doc.RootElement[1];
        Assert.Equal("s1=10.78.2.2+echo", lines[2].Split('\t')[Array.IndexOf(columns, "add_addr")]);
        JsonElement[] added = [.. second.GetProperty("add_addr").EnumerateArray()];
        Assert.Equal(("server", 1, "10.78.2.2", false), (added[0].GetProperty("sender").GetString(), added[0].GetProperty("id").GetInt32(),
            added[0].GetProperty("address").GetString(), added[0].GetProperty("echo").GetBoolean()));
        Assert.Contains(added, a => a.GetProperty("sender").GetString() == "client" && a.GetProperty("echo").GetBoolean());
        // The joins: tcp.stream 3 and 4 opened by the client from its second address, to both server addresses.
        JsonElement[] subflows = [.. second.GetProperty("subflows").EnumerateArray()];
        Assert.All(subflows[1..], s => Assert.Equal(("client", "10.78.2.1", true), (s.GetProperty("opened_by").GetString(), s.GetProperty("opener").GetString(), s.GetProperty("established").GetBoolean())));
        Assert.Equal(["10.78.2.2", "10.78.1.2"], subflows[1..].Select(s => s.GetProperty("responder").GetString()));
    }

    [Fact]
    public async Task Standard_input_gives_what_the_file_gives()
    {
        var psi = new ProcessStartInfo(Launcher.Path, ["flows", "mptcp", "-"]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        await using (FileStream f = File.OpenRead(s_capture))
            await f.CopyToAsync(p.StandardInput.BaseStream);
        p.StandardInput.Close();
        string piped = await output.WithTimeout(what: "flows mptcp - to finish");
        await p.WaitForExitAsync().WithTimeout(what: "flows mptcp - to exit");
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", s_capture]).StandardOutput, piped);
    }

    [Fact]
    public void The_path_manager_check_needs_a_live_interface()
    {
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", "--pm-check", s_capture]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        Assert.StartsWith("tributary: --pm-check needs --interface IF: ", r.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Failing_on_discrepancies_needs_the_check()
    {
        ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", "--fail-on-discrepancy", s_capture]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        Assert.StartsWith("tributary: --fail-on-discrepancy needs --pm-check", r.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_capture_prints_what_came_before_the_fault_then_names_it()
    {
        byte[] full = File.ReadAllBytes(s_capture);
        string path = Path.Combine(Path.GetTempPath(), $"flows-mptcp-trunc-{Environment.ProcessId}.pcap");
        File.WriteAllBytes(path, full[..(full.Length / 2)]); // cut inside a record, after connection 0 joined
        try
        {
            ProcessResult r = ProcessRunner.Run(Launcher.Path, ["flows", "mptcp", path]);
            Assert.Equal(1, r.ExitCode);
            string[] lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("0\tmptcp\t1\t", lines[1], StringComparison.Ordinal);
            Assert.Contains("\t0,1\t", lines[1], StringComparison.Ordinal);
            string error = Assert.Single(r.StandardError.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("tributary: ", error, StringComparison.Ordinal);
            Assert.Contains(path, error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
