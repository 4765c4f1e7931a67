namespace Tributary.Capture.Filters;

/// <summary>Classic BPF opcode fields (linux/bpf_common.h, pcap/bpf.h).</summary>
internal static class Bpf
{
    // Instruction classes.
    public const int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;

    // ld/ldx sizes and modes.
    public const int W = 0x00, H = 0x08, B = 0x10;
    public const int IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xA0;

    // alu/jmp operations and source.
    public const int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
        NEG = 0x80, MOD = 0x90, XOR = 0xA0;
    public const int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    public const int K = 0x00, X = 0x08;

    // ret source (A = 0x10), misc.
    public const int RetA = 0x10;
    public const int TAX = 0x00, TXA = 0x80;

    /// <summary>BPF_MEMWORDS: scratch memory cells.</summary>
    public const int MemWords = 16;

    /// <summary>BPF_MAXINSNS.</summary>
    public const int MaxInstructions = 4096;

    public static int Class(int code) => code & 0x07;

    public static int Size(int code) => code & 0x18;

    public static int Mode(int code) => code & 0xE0;

    public static int Op(int code) => code & 0xF0;

    public static int Src(int code) => code & 0x08;

    public static int RetSrc(int code) => code & 0x18;

    public static int MiscOp(int code) => code & 0xF8;
}
