using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tributary.Capture.Filters.Internal;

/// <summary>
/// Reference classic-BPF interpreter with libpcap's <c>bpf_filter</c> semantics (bpf_filter.c):
/// out-of-range loads and division by zero reject the packet (return 0); shifts by 32 or more give 0.
/// Instructions are pre-translated to dense opcodes so the dispatch is a jump table.
/// </summary>
internal static class BpfInterpreter
{
    internal enum Kind : byte
    {
        RetK, RetA, RetX,
        LdWAbs, LdHAbs, LdBAbs, LdWInd, LdHInd, LdBInd, LdLen, LdImm, LdMem,
        LdxImm, LdxMem, LdxLen, LdxMsh,
        St, Stx,
        AddK, SubK, MulK, DivK, ModK, AndK, OrK, XorK, LshK, RshK,
        AddX, SubX, MulX, DivX, ModX, AndX, OrX, XorX, LshX, RshX, Neg,
        Ja, JeqK, JgtK, JgeK, JsetK, JeqX, JgtX, JgeX, JsetX,
        Tax, Txa,
    }

    [StructLayout(LayoutKind.Sequential)]
    internal readonly struct Op(Kind kind, byte jt, byte jf, uint k)
    {
        public readonly Kind Kind = kind;
        public readonly byte Jt = jt;
        public readonly byte Jf = jf;
        public readonly uint K = k;
    }

    /// <summary>Checks a program as bpf_validate does and translates it; returns an error text or null.</summary>
    public static string? Validate(BpfInstruction[] program, out Op[] ops)
    {
        ops = [];
        int n = program.Length;
        if (n == 0)
            return "empty program";
        if (n > Bpf.MaxInstructions)
            return $"{n} instructions, more than {Bpf.MaxInstructions}";
        var result = new Op[n];
        for (int pc = 0; pc < n; pc++)
        {
            BpfInstruction i = program[pc];
            int code = i.Code;
            Kind? kind = Translate(code, i.K);
            if (kind is null)
                return $"instruction {pc}: unknown opcode 0x{code:x}";
            switch (kind.Value)
            {
                case Kind.LdMem or Kind.LdxMem or Kind.St or Kind.Stx when i.K >= Bpf.MemWords:
                    return $"instruction {pc}: scratch memory index {i.K} out of range";
                case Kind.DivK or Kind.ModK when i.K == 0:
                    return $"instruction {pc}: division by constant zero";
                case Kind.LshK or Kind.RshK when i.K >= 32:
                    return $"instruction {pc}: shift by {i.K}";
                case Kind.Ja when (ulong)pc + 1 + i.K >= (ulong)n:
                    return $"instruction {pc}: jump beyond the end";
                case Kind.JeqK or Kind.JgtK or Kind.JgeK or Kind.JsetK or Kind.JeqX or Kind.JgtX or Kind.JgeX or Kind.JsetX
                    when pc + 1 + i.JumpTrue >= n || pc + 1 + i.JumpFalse >= n:
                    return $"instruction {pc}: jump beyond the end";
            }
            result[pc] = new Op(kind.Value, i.JumpTrue, i.JumpFalse, i.K);
        }
        if (Bpf.Class(program[n - 1].Code) != Bpf.RET)
            return "the last instruction is not a return";
        if (UninitializedLoad(result) is int bad)
            return $"instruction {bad}: loads scratch memory no path has stored";
        ops = result;
        return null;
    }

    /// <summary>
    /// The kernel's check_load_and_stores (net/core/filter.c): a load from M[k] must follow a store to
    /// M[k] on every path (libpcap's interpreter would read uninitialised memory).
    /// </summary>
    private static int? UninitializedLoad(Op[] ops)
    {
        var masks = new ushort[ops.Length];
        Array.Fill(masks, (ushort)0xFFFF);
        ushort valid = 0;
        for (int pc = 0; pc < ops.Length; pc++)
        {
            valid &= masks[pc];
            Op op = ops[pc];
            switch (op.Kind)
            {
                case Kind.St or Kind.Stx:
                    valid |= (ushort)(1 << (int)op.K);
                    break;
                case Kind.LdMem or Kind.LdxMem:
                    if ((valid & (1 << (int)op.K)) == 0)
                        return pc;
                    break;
                case Kind.Ja:
                    masks[pc + 1 + (int)op.K] &= valid;
                    valid = 0xFFFF;
                    break;
                case Kind.JeqK or Kind.JgtK or Kind.JgeK or Kind.JsetK or Kind.JeqX or Kind.JgtX or Kind.JgeX or Kind.JsetX:
                    masks[pc + 1 + op.Jt] &= valid;
                    masks[pc + 1 + op.Jf] &= valid;
                    valid = 0xFFFF;
                    break;
            }
        }
        return null;
    }

    private static Kind? Translate(int code, uint k)
    {
        switch (Bpf.Class(code))
        {
            case Bpf.RET:
                return Bpf.RetSrc(code) switch { Bpf.K => Kind.RetK, Bpf.RetA => Kind.RetA, Bpf.X => Kind.RetX, _ => null };
            case Bpf.LD:
                return (Bpf.Mode(code), Bpf.Size(code)) switch
                {
                    (Bpf.ABS, Bpf.W) => Kind.LdWAbs,
                    (Bpf.ABS, Bpf.H) => Kind.LdHAbs,
                    (Bpf.ABS, Bpf.B) => Kind.LdBAbs,
                    (Bpf.IND, Bpf.W) => Kind.LdWInd,
                    (Bpf.IND, Bpf.H) => Kind.LdHInd,
                    (Bpf.IND, Bpf.B) => Kind.LdBInd,
                    (Bpf.LEN, Bpf.W) => Kind.LdLen,
                    (Bpf.IMM, _) => Kind.LdImm,
                    (Bpf.MEM, _) => Kind.LdMem,
                    _ => null,
                };
            case Bpf.LDX:
                return (Bpf.Mode(code), Bpf.Size(code)) switch
                {
                    (Bpf.IMM, _) => Kind.LdxImm,
                    (Bpf.MEM, _) => Kind.LdxMem,
                    (Bpf.LEN, Bpf.W) => Kind.LdxLen,
                    (Bpf.MSH, Bpf.B) => Kind.LdxMsh,
                    _ => null,
                };
            case Bpf.ST:
                return Kind.St;
            case Bpf.STX:
                return Kind.Stx;
            case Bpf.ALU:
                if (Bpf.Op(code) == Bpf.NEG)
                    return Kind.Neg;
                bool x = Bpf.Src(code) == Bpf.X;
                return Bpf.Op(code) switch
                {
                    Bpf.ADD => x ? Kind.AddX : Kind.AddK,
                    Bpf.SUB => x ? Kind.SubX : Kind.SubK,
                    Bpf.MUL => x ? Kind.MulX : Kind.MulK,
                    Bpf.DIV => x ? Kind.DivX : Kind.DivK,
                    Bpf.MOD => x ? Kind.ModX : Kind.ModK,
                    Bpf.AND => x ? Kind.AndX : Kind.AndK,
                    Bpf.OR => x ? Kind.OrX : Kind.OrK,
                    Bpf.XOR => x ? Kind.XorX : Kind.XorK,
                    Bpf.LSH => x ? Kind.LshX : Kind.LshK,
                    Bpf.RSH => x ? Kind.RshX : Kind.RshK,
                    _ => null,
                };
            case Bpf.JMP:
                {
                    bool jx = Bpf.Src(code) == Bpf.X;
                    return Bpf.Op(code) switch
                    {
                        Bpf.JA => Kind.Ja,
                        Bpf.JEQ => jx ? Kind.JeqX : Kind.JeqK,
                        Bpf.JGT => jx ? Kind.JgtX : Kind.JgtK,
                        Bpf.JGE => jx ? Kind.JgeX : Kind.JgeK,
                        Bpf.JSET => jx ? Kind.JsetX : Kind.JsetK,
                        _ => null,
                    };
                }
            default: // MISC
                return Bpf.MiscOp(code) switch { Bpf.TAX => Kind.Tax, Bpf.TXA => Kind.Txa, _ => null };
        }
    }

    public static unsafe uint Run(Op[] ops, ReadOnlySpan<byte> packet, uint wireLength)
    {
        uint a = 0, x = 0;
        uint* mem = stackalloc uint[Bpf.MemWords];
        for (int m = 0; m < Bpf.MemWords; m++)
            mem[m] = 0;
        uint buflen = (uint)packet.Length;
        ref byte p = ref MemoryMarshal.GetReference(packet);
        int pc = 0;
        while (true)
        {
            Op op = ops[pc++];
            uint k = op.K;
            switch (op.Kind)
            {
                case Kind.RetK: return k;
                case Kind.RetA: return a;
                case Kind.RetX: return x;
                case Kind.LdWAbs:
                    if (k > buflen || 4 > buflen - k) return 0;
                    a = Be32(ref p, k);
                    break;
                case Kind.LdHAbs:
                    if (k > buflen || 2 > buflen - k) return 0;
                    a = Be16(ref p, k);
                    break;
                case Kind.LdBAbs:
                    if (k >= buflen) return 0;
                    a = Unsafe.Add(ref p, (nint)k);
                    break;
                case Kind.LdWInd:
                    if (k > buflen || x > buflen - k || 4 > buflen - k - x) return 0;
                    a = Be32(ref p, x + k);
                    break;
                case Kind.LdHInd:
                    if (k > buflen || x > buflen - k || 2 > buflen - k - x) return 0;
                    a = Be16(ref p, x + k);
                    break;
                case Kind.LdBInd:
                    if (k >= buflen || x >= buflen - k) return 0;
                    a = Unsafe.Add(ref p, (nint)(x + k));
                    break;
                case Kind.LdLen: a = wireLength; break;
                case Kind.LdImm: a = k; break;
                case Kind.LdMem: a = mem[k]; break;
                case Kind.LdxImm: x = k; break;
                case Kind.LdxMem: x = mem[k]; break;
                case Kind.LdxLen: x = wireLength; break;
                case Kind.LdxMsh:
                    if (k >= buflen) return 0;
                    x = (uint)(Unsafe.Add(ref p, (nint)k) & 0xF) << 2;
                    break;
                case Kind.St: mem[k] = a; break;
                case Kind.Stx: mem[k] = x; break;
                case Kind.AddK: a += k; break;
                case Kind.SubK: a -= k; break;
                case Kind.MulK: a *= k; break;
                case Kind.DivK: a /= k; break;
                case Kind.ModK: a %= k; break;
                case Kind.AndK: a &= k; break;
                case Kind.OrK: a |= k; break;
                case Kind.XorK: a ^= k; break;
                case Kind.LshK: a = k < 32 ? a << (int)k : 0; break;
                case Kind.RshK: a = k < 32 ? a >> (int)k : 0; break;
                case Kind.AddX: a += x; break;
                case Kind.SubX: a -= x; break;
                case Kind.MulX: a *= x; break;
                case Kind.DivX:
                    if (x == 0) return 0;
                    a /= x;
                    break;
                case Kind.ModX:
                    if (x == 0) return 0;
                    a %= x;
                    break;
                case Kind.AndX: a &= x; break;
                case Kind.OrX: a |= x; break;
                case Kind.XorX: a ^= x; break;
                case Kind.LshX: a = x < 32 ? a << (int)x : 0; break;
                case Kind.RshX: a = x < 32 ? a >> (int)x : 0; break;
                case Kind.Neg: a = (uint)-(int)a; break;
                case Kind.Ja: pc += (int)k; break;
                case Kind.JeqK: pc += a == k ? op.Jt : op.Jf; break;
                case Kind.JgtK: pc += a > k ? op.Jt : op.Jf; break;
                case Kind.JgeK: pc += a >= k ? op.Jt : op.Jf; break;
                case Kind.JsetK: pc += (a & k) != 0 ? op.Jt : op.Jf; break;
                case Kind.JeqX: pc += a == x ? op.Jt : op.Jf; break;
                case Kind.JgtX: pc += a > x ? op.Jt : op.Jf; break;
                case Kind.JgeX: pc += a >= x ? op.Jt : op.Jf; break;
                case Kind.JsetX: pc += (a & x) != 0 ? op.Jt : op.Jf; break;
                case Kind.Tax: x = a; break;
                case Kind.Txa: a = x; break;
                default: return 0;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Be32(ref byte p, uint offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, (nint)offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Be16(ref byte p, uint offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref p, (nint)offset)));
}
