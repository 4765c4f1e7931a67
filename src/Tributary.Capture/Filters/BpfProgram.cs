using System.Globalization;
using System.Runtime.InteropServices;
using Tributary.Capture.Filters.Internal;
using Tributary.Capture.Interop;

namespace Tributary.Capture.Filters;

/// <summary>
/// A validated classic BPF program: compiled from a tcpdump expression by libpcap
/// (<see cref="Compile"/>), parsed from <c>tcpdump -dd</c> text, or built from instructions. Runs in
/// C# (<see cref="Run"/>: compiled to IL on first use; <see cref="Interpret"/>: the reference
/// interpreter) with libpcap's <c>bpf_filter</c> semantics, and can be attached to an AF_PACKET
/// socket (<see cref="Live.LiveCaptureOptions.Filter"/>). Immutable and thread-safe.
/// </summary>
public sealed unsafe class BpfProgram
{
    /// <summary>libpcap's default snapshot length: what an accepting program returns.</summary>
    public const int DefaultSnapLength = 262144;

    private static readonly Lock s_compileLock = new();

    private readonly BpfInstruction[] _instructions;
    private readonly BpfInterpreter.Op[] _ops;
    private BpfCompiledFilter? _compiled;

    /// <summary>Validates <paramref name="instructions"/> (as the kernel and libpcap's bpf_validate do).</summary>
    /// <exception cref="FilterException">Not a valid program.</exception>
    public BpfProgram(ReadOnlySpan<BpfInstruction> instructions, string? expression = null)
    {
        _instructions = instructions.ToArray();
        Expression = expression;
        string? error = BpfInterpreter.Validate(_instructions, out _ops);
        if (error is not null)
            throw new FilterException(expression ?? "(BPF program)", $"invalid BPF program: {error}");
    }

    /// <summary>The tcpdump expression it was compiled from, if any.</summary>
    public string? Expression { get; }

    /// <summary>The link type it was compiled for (null for programs not compiled here).</summary>
    public LinkType? LinkType { get; private init; }

    /// <summary>The instructions.</summary>
    public ReadOnlySpan<BpfInstruction> Instructions => _instructions;

    /// <summary>
    /// Compiles a tcpdump-syntax expression for <paramref name="linkType"/> with libpcap
    /// (<c>pcap_open_dead</c> + <c>pcap_compile</c>, optimised, netmask 0 as tcpdump uses for files).
    /// An empty expression accepts everything.
    /// </summary>
    /// <exception cref="FilterException">libpcap rejected the expression: its message (e.g. "syntax error").</exception>
    /// <exception cref="DllNotFoundException">libpcap.so.0.8 is not installed.</exception>
    public static BpfProgram Compile(string expression, LinkType linkType, int snapLength = DefaultSnapLength, bool optimize = true)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        lock (s_compileLock)
        {
            // A savefile handle, not pcap_open_dead: libpcap compiles some link types differently for
            // files (DLT_NULL "ip6" tests the BSD AF_INET6 values 24/28/30 as tcpdump -r does, instead
            // of the host's 10). The "file" is a pcap header in memory (fmemopen).
            byte* header = (byte*)NativeMemory.Alloc(PcapHeaderSize);
            nint pcap = 0;
            try
            {
                WriteSavefileHeader(new Span<byte>(header, PcapHeaderSize), linkType, snapLength);
                nint file = Libpcap.fmemopen(header, PcapHeaderSize, "r");
                if (file == 0)
                    throw new FilterException(expression, "fmemopen failed");
                byte* errbuf = stackalloc byte[Libpcap.PCAP_ERRBUF_SIZE];
                pcap = Libpcap.pcap_fopen_offline(file, errbuf);
                if (pcap == 0)
                {
                    string message = Marshal.PtrToStringUTF8((nint)errbuf) ?? "pcap_fopen_offline failed";
                    throw new FilterException(expression, $"libpcap cannot compile for link type {(int)linkType}: {message}");
                }
                Libpcap.bpf_program program;
                if (Libpcap.pcap_compile(pcap, &program, expression, optimize ? 1 : 0, 0) != 0)
                {
                    string message = Marshal.PtrToStringUTF8(Libpcap.pcap_geterr(pcap)) ?? "pcap_compile failed";
                    throw new FilterException(expression, message);
                }
                try
                {
                    var span = new ReadOnlySpan<BpfInstruction>(program.bf_insns, (int)program.bf_len);
                    return new BpfProgram(span, expression) { LinkType = linkType };
                }
                finally
                {
                    Libpcap.pcap_freecode(&program);
                }
            }
            finally
            {
                if (pcap != 0)
                    Libpcap.pcap_close(pcap);    // closes the FILE too
                NativeMemory.Free(header);
            }
        }
    }

    private const int PcapHeaderSize = 24;

    private static void WriteSavefileHeader(Span<byte> h, LinkType linkType, int snapLength)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(h, 0xA1B2C3D4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        h[8..16].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(h[16..], snapLength);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)linkType);
    }

    /// <summary>
    /// Parses <c>tcpdump -dd</c> output (<c>{ 0x28, 0, 0, 0x0000000c },</c> per line) or the
    /// <c>-ddd</c> form (count, then <c>code jt jf k</c> per line).
    /// </summary>
    public static BpfProgram Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<BpfInstruction>();
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool decimalForm = lines.Length > 0 && !lines[0].Contains('{', StringComparison.Ordinal);
        foreach (string raw in decimalForm ? lines.Skip(1) : lines)
        {
            string[] f = raw.Trim('{', '}', ',', ' ').Replace("}", "", StringComparison.Ordinal)
                .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4)
                throw new FilterException(text, $"cannot parse BPF instruction '{raw}'");
            list.Add(new BpfInstruction((ushort)Number(f[0]), (byte)Number(f[1]), (byte)Number(f[2]), (uint)Number(f[3])));
        }
        return new BpfProgram(list.ToArray());

        static long Number(string s) => s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(s, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs the program on a packet: the snapshot length to keep, 0 = reject. <paramref name="wireLength"/>
    /// is what <c>len</c>, <c>greater</c> and <c>less</c> test. Compiled to IL on first use.
    /// </summary>
    public uint Run(ReadOnlySpan<byte> packet, int wireLength)
    {
        BpfCompiledFilter compiled = _compiled ??= BpfCompiler.Compile(_instructions);
        fixed (byte* p = packet)
            return compiled(p, (uint)packet.Length, (uint)wireLength);
    }

    /// <summary>True when <see cref="Run"/> accepts the packet.</summary>
    public bool Matches(ReadOnlySpan<byte> packet, int wireLength) => Run(packet, wireLength) != 0;

    /// <summary>The same as <see cref="Run"/>, by the reference interpreter (no code generation).</summary>
    public uint Interpret(ReadOnlySpan<byte> packet, int wireLength) => BpfInterpreter.Run(_ops, packet, (uint)wireLength);

    /// <summary>The program in <c>tcpdump -dd</c> form.</summary>
    public override string ToString() => string.Join('\n', _instructions.Select(i => i.ToString() + ","));

}
