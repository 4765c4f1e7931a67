using Tributary.Capture.Decoding;

namespace Tributary.Flows.Applications.Mptcp;

/// <summary>
/// One distinct ADD_ADDR seen on a connection (RFC 8684 §3.4.1): who sent it, the address id, address and port, and
/// whether it was the echo that acknowledges the peer's advertisement. Retransmissions count in <see cref="Count"/>.
/// </summary>
public sealed class MptcpAddressAdvertisement
{
    internal MptcpAddressAdvertisement(MptcpPeer sender, byte addressId, IpAddress address, ushort port, bool echo)
    {
        Sender = sender;
        AddressId = addressId;
        Address = address;
        Port = port;
        Echo = echo;
    }

    public MptcpPeer Sender { get; }
    public byte AddressId { get; }
    public IpAddress Address { get; }

    /// <summary>0 when the option carries no port.</summary>
    public ushort Port { get; }

    /// <summary>The E flag: the receiver of an advertisement echoes it back (RFC 8684 only).</summary>
    public bool Echo { get; }

    /// <summary>Segments that carried this very option.</summary>
    public int Count { get; internal set; } = 1;

    internal bool Matches(MptcpPeer sender, byte id, IpAddress address, ushort port, bool echo) =>
        Sender == sender && AddressId == id && Address == address && Port == port && Echo == echo;
}
