using System.Globalization;
using System.Text;

namespace Tributary.Links;

/// <summary>Renders <see cref="InterfaceFlags"/> the way <c>tributary links</c> prints them: <c>UP,BROADCAST,RUNNING,MULTICAST</c>.</summary>
public static class InterfaceFlagsText
{
    private static readonly (InterfaceFlags Flag, string Name)[] s_names =
    [
        (InterfaceFlags.Up, "UP"), (InterfaceFlags.Broadcast, "BROADCAST"), (InterfaceFlags.Debug, "DEBUG"),
        (InterfaceFlags.Loopback, "LOOPBACK"), (InterfaceFlags.PointToPoint, "POINTOPOINT"),
        (InterfaceFlags.NoTrailers, "NOTRAILERS"), (InterfaceFlags.Running, "RUNNING"), (InterfaceFlags.NoArp, "NOARP"),
        (InterfaceFlags.Promiscuous, "PROMISC"), (InterfaceFlags.AllMulticast, "ALLMULTI"), (InterfaceFlags.Master, "MASTER"),
        (InterfaceFlags.Slave, "SLAVE"), (InterfaceFlags.Multicast, "MULTICAST"), (InterfaceFlags.PortSelect, "PORTSEL"),
        (InterfaceFlags.AutoMedia, "AUTOMEDIA"), (InterfaceFlags.Dynamic, "DYNAMIC"), (InterfaceFlags.LowerUp, "LOWER_UP"),
        (InterfaceFlags.Dormant, "DORMANT"), (InterfaceFlags.Echo, "ECHO"),
    ];

    /// <summary>The set flags by their <c>IFF_</c> names in bit order, comma-separated; unknown bits in hex; <c>0</c> when none.</summary>
    public static string Format(InterfaceFlags flags)
    {
        if (flags == InterfaceFlags.None)
            return "0";
        var sb = new StringBuilder();
        uint rest = (uint)flags;
        foreach (var (flag, name) in s_names)
        {
            if ((flags & flag) == 0)
                continue;
            if (sb.Length > 0)
                sb.Append(',');
            sb.Append(name);
            rest &= ~(uint)flag;
        }
        if (rest != 0)
        {
            if (sb.Length > 0)
                sb.Append(',');
            sb.Append("0x").Append(rest.ToString("x", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
