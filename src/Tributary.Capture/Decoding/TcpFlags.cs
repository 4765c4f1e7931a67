namespace Tributary.Capture.Decoding;

/// <summary>TCP header flags (RFC 9293 §3.1; CWR/ECE RFC 3168; AE, formerly NS, RFC 9768/3540).</summary>
[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x001,
    Syn = 0x002,
    Rst = 0x004,
    Psh = 0x008,
    Ack = 0x010,
    Urg = 0x020,
    Ece = 0x040,
    Cwr = 0x080,
    Ae = 0x100,
}
