using Tributary.Mptcp.Daemon;

namespace Tributary.Mptcp.Tests.Daemon;

/// <summary>
/// NetworkManager's configuration as the daemon reads it to tell whether NetworkManager adds MPTCP endpoints
/// (mptcpd#261): file order and shadowing as NetworkManager.conf(5) gives them, integers as NetworkManager parses
/// them, per-device sections and keyfile profiles.
/// </summary>
public sealed class NetworkManagerConfigurationTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"trib-nmconf-{Guid.NewGuid():N}");

    public NetworkManagerConfigurationTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private IReadOnlyList<string> Files() =>
        NetworkManagerConfiguration.Files(Path.Combine(_root, "NetworkManager.conf"), Path.Combine(_root, "etc"), Path.Combine(_root, "lib"),
            Path.Combine(_root, "run"), Path.Combine(_root, "intern.conf"));

    private NetworkManagerConfiguration Read(params string[] profileDirectories) => NetworkManagerConfiguration.Read(Files(), profileDirectories);

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("0x1", 1L)]
    [InlineData("0X22", 0x22L)]
    [InlineData("34", 34L)]
    [InlineData("042", 34L)] // a leading zero is octal, as strtoll with base 0 reads it
    [InlineData("0", 0L)]
    [InlineData("disabled", null)] // names are nmcli's; NetworkManager.conf takes integers and ignores the rest
    [InlineData("0x", null)]
    [InlineData("08", null)]
    [InlineData("-1", null)]
    [InlineData("", null)]
    public void Values_are_integers_as_NetworkManager_reads_them(string text, long? expected) =>
        Assert.Equal(expected, NetworkManagerConfiguration.Integer(text));

    [Fact]
    public void Files_come_in_NetworkManagers_order_and_a_later_directory_shadows_a_snippet_of_the_same_name()
    {
        string lib10 = Write("lib/10-a.conf", "");
        Write("lib/20-b.conf", ""); // shadowed by run/20-b.conf
        Write("lib/30-c.conf", ""); // shadowed by etc/30-c.conf
        string run20 = Write("run/20-b.conf", "");
        Write("run/30-c.conf", ""); // shadowed by etc/30-c.conf
        string run05 = Write("run/05-z.conf", "");
        string main = Write("NetworkManager.conf", "");
        string etc30 = Write("etc/30-c.conf", "");
        string etc01 = Write("etc/01-first.conf", "");
        Write("etc/not-a-snippet.txt", "");
        string intern = Write("intern.conf", "");
        Assert.Equal([lib10, run05, run20, main, etc01, etc30, intern], Files());
    }

    [Fact]
    public void Nothing_set_means_NetworkManagers_default_enabled_subflow()
    {
        Write("NetworkManager.conf", "[main]\nplugins=keyfile\n");
        NetworkManagerConfiguration c = Read();
        Assert.Null(c.Flags);
        Assert.Equal("connection.mptcp-flags not set: its default is enabled,subflow", c.Enabling());
    }

    [Fact]
    public void The_last_global_value_wins_across_files_and_sections_of_other_names_do_not_set_it()
    {
        Write("lib/10-defaults.conf", "[connection]\nconnection.mptcp-flags=0x1\n");
        string main = Write("NetworkManager.conf", "# a comment\n[connection]\n  connection.mptcp-flags = 0x22  \n[device]\nconnection.mptcp-flags=0x1\n");
        NetworkManagerConfiguration c = Read();
        Assert.Equal(0x22, c.Flags);
        Assert.Equal($"connection.mptcp-flags=0x22 in {main}", c.Enabling());

        string off = Write("etc/90-off.conf", "[connection]\nconnection.mptcp-flags=1\n");
        c = Read();
        Assert.Equal((1L, off), (c.Flags, c.FlagsFile));
        Assert.Null(c.Enabling());
    }

    [Theory]
    [InlineData(0L, true)] // unset: enabled,subflow
    [InlineData(0x22L, true)]
    [InlineData(0x40L, true)] // "backup" alone implies enabled
    [InlineData(0x1L, false)]
    [InlineData(0x23L, false)] // disabled wins over enabled
    public void Disabled_is_the_only_flag_that_stops_it(long flags, bool enables) =>
        Assert.Equal(enables, NetworkManagerConfiguration.Enables(flags));

    [Fact]
    public void A_device_section_or_a_profile_can_enable_what_the_global_default_disables()
    {
        Write("NetworkManager.conf", "[connection]\nconnection.mptcp-flags=0x1\n");
        Write("etc/50-wwan.conf", "[connection-wwan]\nmatch-device=interface-name:wwan*\nconnection.mptcp-flags=0x60\n");
        string later = Write("etc/60-wwan-off.conf", "[connection-wwan]\nconnection.mptcp-flags=0x1\n");
        NetworkManagerConfiguration c = Read();
        Assert.Equal([($"{later} [connection-wwan]", 1L)], c.Overrides); // the later file's section of the same name overrides
        Assert.Null(c.Enabling());

        string profiles = Path.Combine(_root, "system-connections");
        Write("system-connections/eth0.nmconnection", "[connection]\nid=eth0\nmptcp-flags=0\n"); // follows the defaults
        string lte = Write("system-connections/lte.nmconnection", "[connection]\nid=lte\nmptcp-flags=0x62\n[ipv4]\nmethod=auto\n");
        Write("system-connections/ignored.conf", "[connection]\nmptcp-flags=0x22\n");
        c = Read(profiles, Path.Combine(_root, "absent"));
        Assert.Equal($"mptcp-flags=0x62 in {lte} [connection]", c.Enabling());
    }
}
