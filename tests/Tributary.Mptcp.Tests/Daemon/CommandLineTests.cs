using Tributary.Links;
using Tributary.Mptcp.Daemon;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>
/// The argp command line against reference/mptcpd/transcripts/s00_cli.txt: every bad input of ORACLE s00
/// gives mptcpd's message (program name "tributary mptcpd") and exit 64 — asserted for real, unlike the
/// vacuous upstream test-bad-* scripts (SUMMARY pitfall 6).
/// </summary>
public class CommandLineTests
{
    private const string Try = "Try `tributary mptcpd --help' or `tributary mptcpd --usage' for more information.\n";

    [Theory]
    [InlineData("--log=", "Unknown logging option: \"\"")]
    [InlineData("--log=foo", "Unknown logging option: \"foo\"")]
    [InlineData("-l|foo", "Unknown logging option: \"foo\"")]
    [InlineData("-lfoo", "Unknown logging option: \"foo\"")]
    [InlineData("--foo", "unrecognized option '--foo'")]
    [InlineData("--foo=bar", "unrecognized option '--foo=bar'")]
    [InlineData("--path-manager=", "Empty default path manager plugin command line option.")]
    [InlineData("--plugin-dir=", "Empty plugin directory command line option.")]
    [InlineData("--load-plugins=", "Empty load plugins commandline option.")]
    [InlineData("-x", "invalid option -- 'x'")]
    [InlineData("--debug=1", "option '--debug' doesn't allow an argument")]
    [InlineData("--plugin-dir", "option '--plugin-dir' requires an argument")]
    [InlineData("-l", "option requires an argument -- 'l'")]
    [InlineData("--p=x", "option '--p' is ambiguous; possibilities: '--path-manager' '--plugin-dir'")]
    [InlineData("extra", "Too many arguments")]
    [InlineData("-d|--|-d", "Too many arguments")]
    [InlineData("--config=", "Empty configuration file command line option.")]
    [InlineData("--interfaces=", "Empty interfaces command line option.")]
    [InlineData("--interfaces=,", "Invalid interfaces command line option \",\": no interface named")]
    [InlineData("--interfaces=eth0,eth 1", "Invalid interfaces command line option \"eth0,eth 1\": invalid interface name \"eth 1\"")]
    [InlineData("--exclude-interfaces=", "Empty exclude interfaces command line option.")]
    [InlineData("--exclude-interfaces=a/b", "Invalid exclude interfaces command line option \"a/b\": invalid interface name \"a/b\"")]
    [InlineData("--interface-flags=", "Empty interface flags command line option.")]
    [InlineData("--interface-flags=wwan0", "Invalid interface flags command line option \"wwan0\": \"wwan0\" is not INTERFACE:FLAG[+FLAG...]")]
    [InlineData("--interface-flags=wwan0:", "Invalid interface flags command line option \"wwan0:\": no flags for wwan0 in \"wwan0:\"")]
    [InlineData("--interface-flags=:backup", "Invalid interface flags command line option \":backup\": empty interface name")]
    [InlineData("--interface-flags=eth0:signal,wwan0:bkup", "Invalid interface flags command line option \"eth0:signal,wwan0:bkup\": unknown flag bkup in \"wwan0:bkup\"")]
    [InlineData("--interface-flags=wwan0:backup++subflow", "Invalid interface flags command line option \"wwan0:backup++subflow\": unknown flag +subflow in \"wwan0:backup++subflow\"")]
    [InlineData("--interface-flags=wwan0:backup:subflow", "Invalid interface flags command line option \"wwan0:backup:subflow\": unknown flag backup:subflow in \"wwan0:backup:subflow\"")]
    [InlineData("--interface=eth0", "option '--interface' is ambiguous; possibilities: '--interface-flags' '--interfaces'")]
    [InlineData("--otlp=", "Empty OTLP collector command line option.")]
    [InlineData("--otlp=localhost:4318", "Invalid OTLP collector command line option \"localhost:4318\": is not an http:// or https:// URL (e.g. http://127.0.0.1:4318)")]
    [InlineData("--otlp|grpc://127.0.0.1:4317", "Invalid OTLP collector command line option \"grpc://127.0.0.1:4317\": is not an http:// or https:// URL (e.g. http://127.0.0.1:4318)")]
    [InlineData("--otlp=http://u:p@127.0.0.1:4318", "Invalid OTLP collector command line option \"http://u:p@127.0.0.1:4318\": must not carry user information, a query or a fragment")]
    [InlineData("--otlp-interval=", "Empty OTLP interval command line option.")]
    [InlineData("--otlp-interval=ten", "Invalid OTLP interval command line option \"ten\": not a number of seconds")]
    [InlineData("--otlp-interval=0.05", "Invalid OTLP interval command line option \"0.05\": must be between 0.1 and 86400 seconds")]
    [InlineData("--otlp-interval|86401", "Invalid OTLP interval command line option \"86401\": must be between 0.1 and 86400 seconds")]
    [InlineData("--otlp-instance=", "Empty OTLP instance command line option.")]
    [InlineData("--control-socket=", "Empty control socket command line option.")]
    [InlineData("--co=x", "option '--co' is ambiguous; possibilities: '--config' '--control-socket'")]
    [InlineData("--otlp-instance=  ", "Empty OTLP instance command line option.")]
    [InlineData("--otl=x", "option '--otl' is ambiguous; possibilities: '--otlp' '--otlp-instance' '--otlp-interval'")]
    [InlineData("--otlp-in=x", "option '--otlp-in' is ambiguous; possibilities: '--otlp-instance' '--otlp-interval'")]
    public void Usage_errors_exit_64_with_argp_messages(string args, string message)
    {
        MptcpdParseResult r = MptcpdCommandLine.Parse(args.Split('|'));
        Assert.True(r.ShouldExit);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        Assert.Equal($"tributary mptcpd: {message}\n{Try}", r.StandardError);
    }

    [Fact]
    public void First_error_wins_and_options_before_help_are_checked()
    {
        Assert.Equal(64, MptcpdCommandLine.Parse(["--log=bad", "--help"]).ExitCode);
        MptcpdParseResult help = MptcpdCommandLine.Parse(["--help", "--log=bad"]);
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: tributary mptcpd [OPTION...]\nStart the Multipath TCP daemon.\n", help.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_usage_and_version_follow_argp_layout()
    {
        string help = MptcpdCommandLine.Parse(["-?"]).StandardOutput;
        // Same option lines as mptcpd 0.12 (s00), at argp's 29-column doc indent.
        string reference = File.ReadAllText(SharedPaths.RequireShared("reference", "mptcpd", "transcripts", "s00_cli.txt"));
        string[] mptcpdOptionLines = reference.Split('\n').SkipWhile(l => !l.StartsWith("      --addr-flags", StringComparison.Ordinal))
            .TakeWhile(l => !l.StartsWith("Mandatory", StringComparison.Ordinal)).Where(l => l.Length > 0).ToArray();
        Assert.True(mptcpdOptionLines.Length > 10);
        foreach (string line in mptcpdOptionLines)
            Assert.Contains(line + "\n", help, StringComparison.Ordinal);
        Assert.Contains("Supported Linux kernel: upstream\n", help, StringComparison.Ordinal);
        // The control socket, after --config, and the OTLP extension, after --notify-flags: argp's alphabetical places and layout.
        Assert.Contains(
            "      --control-socket=PATH  Answer queries and stream MPTCP events as JSON\n" +
            "                             lines on this Unix socket (mode 0600), e.g.\n" +
            "                             --control-socket=/run/tributary-mptcpd.sock\n" +
            "  -d, --debug ", help, StringComparison.Ordinal);
        Assert.Contains(
            "      --otlp=URL             Export the daemon's metrics to this OpenTelemetry\n" +
            "                             collector (OTLP over HTTP/protobuf), e.g.\n" +
            "                             --otlp=http://127.0.0.1:4318\n" +
            "      --otlp-instance=NAME   The service.instance.id of the exported metrics\n" +
            "                             (default HOST:PID)\n" +
            "      --otlp-interval=SECONDS\n" +
            "                             Seconds between OTLP exports (default 10; decimals\n" +
            "                             allowed)\n" +
            "      --path-manager=PLUGIN ", help, StringComparison.Ordinal);
        Assert.Equal(
            "Usage: tributary mptcpd [-d?V] [-l DEST] [--addr-flags=FLAGS] [--config=FILE]\n" +
            "            [--control-socket=PATH] [--debug] [--exclude-interfaces=LIST]\n" +
            "            [--interface-flags=LIST] [--interfaces=LIST]\n" +
            "            [--load-plugins=PLUGINS] [--log=DEST] [--notify-flags=FLAGS]\n" +
            "            [--otlp=URL] [--otlp-instance=NAME] [--otlp-interval=SECONDS]\n" +
            "            [--path-manager=PLUGIN] [--plugin-dir=DIR]\n" +
            "            [--remove-endpoints-on-exit] [--help] [--usage] [--version]\n",
            MptcpdCommandLine.Parse(["--usage"]).StandardOutput);
        Assert.Equal("tributary mptcpd 0.12\n", MptcpdCommandLine.Parse(["-V"]).StandardOutput);
        Assert.Equal("tributary mptcpd 0.12\n", MptcpdCommandLine.Parse(["--vers"]).StandardOutput);
        Assert.All(help.Split('\n'), l => Assert.True(l.Length <= 79 || l.Contains("--notify-flags=existing", StringComparison.Ordinal), l));
    }

    [Theory]
    [InlineData("--debug")]
    [InlineData("-d")]
    [InlineData("--log=stderr")]
    [InlineData("--log=syslog")]
    [InlineData("--log=journal")]
    [InlineData("--log=null")]
    [InlineData("-l|stderr")]
    [InlineData("-dlsyslog")]
    [InlineData("--plugin-dir|/tmp/foo/bar")]
    [InlineData("--path-manager|foo")]
    [InlineData("--load-plugins|foo,bar")]
    [InlineData("--path-manager=nonexistent")]
    public void Accepted_options_of_test_configuration(string args)
    {
        MptcpdParseResult r = MptcpdCommandLine.Parse(args.Split('|'));
        Assert.False(r.ShouldExit);
        Assert.Equal("", r.StandardError);
    }

    [Fact]
    public void Values_are_parsed_and_the_last_repeated_option_wins()
    {
        MptcpdSettings s = MptcpdCommandLine.Parse(["-d", "--plugin-dir=/a", "--plugin-dir", "/b", "--path-manager=x", "--path-manager=sspi",
            "--load-plugins=one,,two", "--load-plugins=addr_adv,sspi", "--log", "journal", "--addr-flags=subflow,backup",
            "--notify-flags=existing,skip_link_local,skip_loopback,check_route", "--conf=/etc/x.conf", "--remove-endpoints-on-exit"]).Settings!;
        Assert.True(s.Debug);
        Assert.Equal("/b", s.PluginDirectory);
        Assert.Equal("sspi", s.PathManager);
        Assert.Equal(["addr_adv", "sspi"], s.LoadPlugins);
        Assert.Equal(MptcpdLogTarget.Journal, s.Log);
        Assert.Equal(MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, s.AddressFlags);
        Assert.Equal(NotifyFlags.Existing | NotifyFlags.SkipLinkLocal | NotifyFlags.SkipLoopback | NotifyFlags.CheckRoute, s.NotifyFlags);
        Assert.Equal("/etc/x.conf", s.ConfigFile);
        Assert.True(s.RemoveEndpointsOnExit);
        Assert.Empty(s.Warnings);
        Assert.Equal(["one", "two"], MptcpdCommandLine.Parse(["--load-plugins=one,,two"]).Settings!.LoadPlugins);
        Assert.Equal("0123456789abcdef", MptcpdCommandLine.Parse(["--path-manager=0123456789abcdefXYZ"]).Settings!.PathManager);
    }

    [Fact]
    public void Otlp_options_parse_as_the_flow_commands_do_and_the_last_repeated_one_wins()
    {
        MptcpdSettings s = MptcpdCommandLine.Parse(["--otlp=http://x:1", "--otlp", "http://127.0.0.1:4318", "--otlp-interval=0.5",
            "--otlp-inst", "edge-7"]).Settings!;
        Assert.Equal("http://127.0.0.1:4318/v1/metrics", s.Otlp!.AbsoluteUri); // a base gets the signal path
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.OtlpInterval);
        Assert.Equal("edge-7", s.OtlpInstance);
        Assert.Equal("https://c.example/otlp/v1/metrics", MptcpdCommandLine.Parse(["--otlp=https://c.example/otlp/v1/metrics"]).Settings!.Otlp!.AbsoluteUri);
        MptcpdSettings none = MptcpdCommandLine.Parse(["-d"]).Settings!;
        Assert.Equal((null, null, null), (none.Otlp, none.OtlpInterval, none.OtlpInstance));
    }

    [Theory]
    [InlineData("--addr-flags=bogus", "unknown flag bogus", 0u)]
    [InlineData("--addr-flags=subflow,,backup", "unknown flag ,backup", 2u)]
    [InlineData("--addr-flags=signal,laminar", null, 33u)]
    [InlineData("--addr-flags=", null, 0u)]
    public void Unknown_address_flags_warn_stop_parsing_and_keep_earlier_tokens(string arg, string? warning, uint flags)
    {
        MptcpdParseResult r = MptcpdCommandLine.Parse([arg]);
        Assert.False(r.ShouldExit);
        Assert.Equal((MptcpEndpointFlags)flags, r.Settings!.AddressFlags);
        Assert.Equal(warning is null ? [] : [warning], r.Settings.Warnings);
    }

    [Fact]
    public void Notify_flags_stop_at_the_first_unknown_token()
    {
        MptcpdSettings s = MptcpdCommandLine.Parse(["--notify-flags=existing,bogus"]).Settings!;
        Assert.Equal(NotifyFlags.Existing, s.NotifyFlags);
        Assert.Equal(["unknown flag bogus"], s.Warnings);
        s = MptcpdCommandLine.Parse(["--notify-flags=existing, skip_link_local"]).Settings!;
        Assert.Equal(NotifyFlags.Existing, s.NotifyFlags);
        Assert.Equal(["unknown flag  skip_link_local"], s.Warnings); // two spaces, as mptcpd logs it
    }

    [Fact]
    public void Interface_options_parse_to_patterns_and_flags_and_the_last_repeated_one_wins()
    {
        MptcpdParseResult r = MptcpdCommandLine.Parse(["--interfaces=eth9", "--interfaces=eth0,,wwan*", "--exclude-interfaces", "docker*,veth?",
            "--interface-flags=wwan*:subflow+backup,eth1:signal,eth2:subflow+fullmesh+backup"]);
        Assert.False(r.ShouldExit);
        MptcpdSettings s = r.Settings!;
        Assert.Equal(["eth0", "wwan*"], s.Interfaces!.Select(p => p.Text));
        Assert.Equal(["docker*", "veth?"], s.ExcludeInterfaces!.Select(p => p.Text));
        Assert.Equal(["wwan*:subflow+backup", "eth1:signal", "eth2:subflow+backup+fullmesh"], s.InterfaceFlags!.Select(f => f.ToString()));
        Assert.Equal(MptcpEndpointFlags.Subflow | MptcpEndpointFlags.Backup, s.InterfaceFlags![0].Flags);
        Assert.Empty(s.Warnings);
        Assert.Null(MptcpdCommandLine.Parse(["-d"]).Settings!.Interfaces);
    }

    [Fact]
    public void The_address_selection_notify_flags_are_accepted()
    {
        MptcpdSettings s = MptcpdCommandLine.Parse(["--notify-flags=existing,skip_ula,skip_temporary,skip_deprecated,skip_tentative"]).Settings!;
        Assert.Equal(NotifyFlags.Existing | NotifyFlags.SkipUla | NotifyFlags.SkipTemporary | NotifyFlags.SkipDeprecated | NotifyFlags.SkipTentative,
            s.NotifyFlags);
        Assert.Empty(s.Warnings);
        Assert.Equal("skip_ula,skip_temporary,skip_deprecated,skip_tentative",
            MptcpdFlags.Format(NotifyFlags.SkipUla | NotifyFlags.SkipTemporary | NotifyFlags.SkipDeprecated | NotifyFlags.SkipTentative));
        s = MptcpdCommandLine.Parse(["--notify-flags=skip_ula,skip_privacy"]).Settings!;
        Assert.Equal(NotifyFlags.SkipUla, s.NotifyFlags);
        Assert.Equal(["unknown flag skip_privacy"], s.Warnings);
    }

    public static TheoryData<int> FuzzedCommandLinesSeeds() => FuzzSeeds.Of(5);

    [Theory]
    [MemberData(nameof(FuzzedCommandLinesSeeds))]
    public void Fuzzed_command_lines_never_throw(int seed)
    {
        string[] pieces = ["-", "--", "-d", "-l", "--log", "=", "stderr", "--plugin-dir", "--addr-flags=", "subflow", ",", "-?", "--p", "x", "-V", "--usage", "--help=1", "--config",
            "--interfaces=", "--interface-flags=", "--exclude-interfaces", ":", "+", "*", "backup"];
        var rng = new Random(seed);
        for (int i = 0; i < 20_000; i++)
        {
            string[] args = Enumerable.Range(0, rng.Next(0, 5)).Select(_ => string.Concat(Enumerable.Range(0, rng.Next(1, 3)).Select(_ => pieces[rng.Next(pieces.Length)]))).ToArray();
            MptcpdParseResult r = MptcpdCommandLine.Parse(args);
            Assert.True(r.ExitCode is 0 or 64);
        }
    }
}
