namespace Tributary.Capture.Decoding;

/// <summary>Limits of an <see cref="IpFragmentReassembler"/> (defaults after Linux's ipfrag sysctls).</summary>
public sealed class IpFragmentReassemblerOptions
{
    /// <summary>Bytes of fragment data held at most (ipfrag_high_thresh: 4 MiB); the oldest datagrams are evicted beyond it.</summary>
    public long MaxBufferedBytes { get; init; } = 4 << 20;

    /// <summary>Datagrams in reassembly at most; the oldest is evicted beyond it.</summary>
    public int MaxDatagrams { get; init; } = 4096;

    /// <summary>Fragments per datagram at most (a 64 KiB datagram in 8-byte pieces would need 8192).</summary>
    public int MaxFragmentsPerDatagram { get; init; } = 256;

    /// <summary>How long an incomplete datagram is kept, on the packet clock (ipfrag_time: 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
