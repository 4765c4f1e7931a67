using Tributary.Links;
using Tributary.Mptcp.Daemon;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>The config file and its precedence (INVENTORY f.2/f.3, transcripts/s11_config_file_head.txt).</summary>
public class ConfigFileTests
{
    private const string S11 = """
        [core]
        plugin-dir=/opt/plugins
        log=bogus
        notify-flags=existing, skip_link_local
        addr-flags=signal
        unknown-key=1
        path-manager=sspi
        load-plugins=addr_adv
        """;

    [Fact]
    public void S11_file_values_bad_log_ignored_flags_stop_at_the_space_unknown_keys_ignored()
    {
        MptcpdSettings s = MptcpdConfigFile.Parse(S11, out string? error)!;
        Assert.Null(error);
        Assert.Equal("/opt/plugins", s.PluginDirectory);
        Assert.Null(s.Log);
        Assert.Equal(NotifyFlags.Existing, s.NotifyFlags);
        Assert.Equal(MptcpEndpointFlags.Signal, s.AddressFlags);
        Assert.Equal("sspi", s.PathManager);
        Assert.Equal(["addr_adv"], s.LoadPlugins);
        Assert.Contains("unknown flag  skip_link_local", s.Warnings);
        Assert.Contains(s.Warnings, w => w.Contains("bogus", StringComparison.Ordinal));
    }

    [Fact]
    public void Command_line_overrides_the_file_per_field_but_flags_that_parse_to_zero_do_not()
    {
        MptcpdSettings file = MptcpdConfigFile.Parse(S11, out _)!;
        MptcpdSettings cli = MptcpdCommandLine.Parse(["--addr-flags=subflow", "--path-manager=addr_adv", "--load-plugins=sspi"]).Settings!;
        MptcpdSettings merged = cli.Over(file);
        Assert.Equal(MptcpEndpointFlags.Subflow, merged.AddressFlags);
        Assert.Equal("addr_adv", merged.PathManager);
        Assert.Equal(["sspi"], merged.LoadPlugins);
        Assert.Equal("/opt/plugins", merged.PluginDirectory);
        Assert.Equal(NotifyFlags.Existing, merged.NotifyFlags);

        // s11: "--addr-flags=bogus" parses to 0, which means "unset", so the file's signal stays.
        MptcpdSettings bogus = MptcpdCommandLine.Parse(["--addr-flags=bogus"]).Settings!.Over(file);
        Assert.Equal(MptcpEndpointFlags.Signal, bogus.AddressFlags);
    }

    [Fact]
    public void Interface_keys_parse_bad_ones_are_ignored_with_a_warning_and_the_command_line_wins()
    {
        MptcpdSettings file = MptcpdConfigFile.Parse("""
            [core]
            interfaces=eth*,wwan0
            exclude-interfaces=eth9
            interface-flags=wwan0:subflow+backup
            """, out _)!;
        Assert.Equal(["eth*", "wwan0"], file.Interfaces!.Select(p => p.Text));
        Assert.Equal(["eth9"], file.ExcludeInterfaces!.Select(p => p.Text));
        Assert.Equal(["wwan0:subflow+backup"], file.InterfaceFlags!.Select(f => f.ToString()));
        Assert.Empty(file.Warnings);

        MptcpdSettings merged = MptcpdCommandLine.Parse(["--interfaces=eth1", "--interface-flags=eth1:signal"]).Settings!.Over(file);
        Assert.Equal(["eth1"], merged.Interfaces!.Select(p => p.Text));
        Assert.Equal(["eth9"], merged.ExcludeInterfaces!.Select(p => p.Text)); // per key: the file's stays
        Assert.Equal(["eth1:signal"], merged.InterfaceFlags!.Select(f => f.ToString()));

        MptcpdSettings bad = MptcpdConfigFile.Parse("""
            [core]
            interfaces=eth 0
            exclude-interfaces=,
            interface-flags=wwan0:backup,eth1:sigal
            addr-flags=subflow
            """, out string? error)!;
        Assert.Null(error);
        Assert.Null(bad.Interfaces);
        Assert.Null(bad.ExcludeInterfaces);
        Assert.Null(bad.InterfaceFlags);
        Assert.Equal(MptcpEndpointFlags.Subflow, bad.AddressFlags);
        Assert.Equal(["interfaces: invalid interface name \"eth 0\" (ignored)", "exclude-interfaces: no interface named (ignored)",
            "interface-flags: unknown flag sigal in \"eth1:sigal\" (ignored)"], bad.Warnings);
        Assert.Null(MptcpdConfigFile.Parse("[core]\ninterfaces=\n", out _)!.Interfaces); // empty: not set
    }

    [Fact]
    public void The_control_socket_key_is_read_and_the_command_line_wins()
    {
        MptcpdSettings file = MptcpdConfigFile.Parse("[core]\ncontrol-socket=/run/a.sock\n", out _)!;
        Assert.Equal("/run/a.sock", file.ControlSocket);
        Assert.Null(MptcpdConfigFile.Parse("[core]\ncontrol-socket=\n", out _)!.ControlSocket); // empty: not set
        Assert.Equal("/run/a.sock", MptcpdCommandLine.Parse(["-d"]).Settings!.Over(file).ControlSocket);
        Assert.Equal("/tmp/b.sock", MptcpdCommandLine.Parse(["--control-socket=/tmp/b.sock"]).Settings!.Over(file).ControlSocket);
    }

    [Fact]
    public void Otlp_keys_parse_bad_ones_are_ignored_with_a_warning_and_the_command_line_wins()
    {
        MptcpdSettings file = MptcpdConfigFile.Parse("""
            [core]
            otlp=http://collector:4318
            otlp-interval=30
            otlp-instance=rack4-edge
            """, out _)!;
        Assert.Equal("http://collector:4318/v1/metrics", file.Otlp!.AbsoluteUri);
        Assert.Equal(TimeSpan.FromSeconds(30), file.OtlpInterval);
        Assert.Equal("rack4-edge", file.OtlpInstance);
        Assert.Empty(file.Warnings);

        MptcpdSettings merged = MptcpdCommandLine.Parse(["--otlp-interval=2"]).Settings!.Over(file);
        Assert.Equal("http://collector:4318/v1/metrics", merged.Otlp!.AbsoluteUri); // per key: the file's stays
        Assert.Equal(TimeSpan.FromSeconds(2), merged.OtlpInterval);
        Assert.Equal("rack4-edge", merged.OtlpInstance);
        merged = MptcpdCommandLine.Parse(["--otlp=http://10.0.0.1:4318/", "--otlp-instance=x"]).Settings!.Over(file);
        Assert.Equal(("http://10.0.0.1:4318/v1/metrics", "x"), (merged.Otlp!.AbsoluteUri, merged.OtlpInstance));

        MptcpdSettings bad = MptcpdConfigFile.Parse("""
            [core]
            otlp=collector:4318
            otlp-interval=0
            addr-flags=subflow
            """, out string? error)!;
        Assert.Null(error);
        Assert.Null(bad.Otlp);
        Assert.Null(bad.OtlpInterval);
        Assert.Equal(MptcpEndpointFlags.Subflow, bad.AddressFlags);
        Assert.Equal(["otlp: \"collector:4318\" is not an http:// or https:// URL (e.g. http://127.0.0.1:4318) (ignored)",
            "otlp-interval: \"0\" must be between 0.1 and 86400 seconds (ignored)"], bad.Warnings);
        Assert.Equal(["otlp-interval: \"soon\" is not a number of seconds (ignored)"], MptcpdConfigFile.Parse("[core]\notlp-interval=soon\n", out _)!.Warnings);
        Assert.Null(MptcpdConfigFile.Parse("[core]\notlp=\n", out _)!.Otlp); // empty: not set
    }

    [Theory]
    [InlineData("this is not an ini file\n[[[\n")]
    [InlineData("plugin-dir=/x\n")]
    [InlineData("[core]\nbad key=1\n")]
    [InlineData("[core\nlog=stderr\n")]
    public void Unparsable_files_are_ignored_as_a_whole(string text)
    {
        Assert.Null(MptcpdConfigFile.Parse(text, out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Other_groups_comments_and_empty_values_are_ignored()
    {
        MptcpdSettings s = MptcpdConfigFile.Parse("# comment\n[other]\nplugin-dir=/nonexistent\n\n[core]\n  log = journal\nplugin-dir=\nremove-endpoints-on-exit=true\n", out _)!;
        Assert.Null(s.PluginDirectory); // empty means unset (mptcpd used "" verbatim and failed; NEWS 0.8 says it may be empty)
        Assert.Equal(MptcpdLogTarget.Journal, s.Log);
        Assert.True(s.RemoveEndpointsOnExit);
    }

    [Fact]
    public void Debian_default_file_parses()
    {
        MptcpdSettings s = MptcpdConfigFile.Parse("[core]\nlog=stderr\n\nplugin-dir=/usr/lib/x86_64-linux-gnu/mptcpd\n\npath-manager=addr_adv\n\n# addr-flags=subflow\n", out _)!;
        Assert.Equal(MptcpdLogTarget.Stderr, s.Log);
        Assert.Equal("addr_adv", s.PathManager);
        Assert.Null(s.AddressFlags);
    }

    [Fact]
    public void Shipped_example_config_parses_without_warnings()
    {
        string path = Path.Combine(SharedPaths.Repository, "dist", "mptcpd.conf");
        MptcpdSettings s = MptcpdConfigFile.Parse(File.ReadAllText(path), out string? error)!;
        Assert.Null(error);
        Assert.Empty(s.Warnings);
        Assert.Equal(NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback, s.NotifyFlags);
    }

    public static TheoryData<int> FuzzedFilesSeeds() => FuzzSeeds.Of(3);

    [Theory]
    [MemberData(nameof(FuzzedFilesSeeds))]
    public void Fuzzed_files_never_throw(int seed)
    {
        var rng = new Random(seed);
        string[] pieces = ["[core]", "[", "]", "=", "log", "stderr", "\n", "#", " ", "addr-flags", "subflow,", "plugin-dir", "\r\n", "x"];
        for (int i = 0; i < 20_000; i++)
            _ = MptcpdConfigFile.Parse(string.Concat(Enumerable.Range(0, rng.Next(0, 12)).Select(_ => pieces[rng.Next(pieces.Length)])), out _);
    }
}
