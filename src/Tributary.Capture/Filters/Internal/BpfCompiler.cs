using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Emit;

namespace Tributary.Capture.Filters.Internal;

/// <summary>A classic BPF program compiled to a method: returns the snapshot length to keep, 0 = reject.</summary>
internal unsafe delegate uint BpfCompiledFilter(byte* packet, uint length, uint wireLength);

/// <summary>
/// Compiles a validated classic BPF program to IL (a <see cref="DynamicMethod"/>), which the JIT turns
/// into straight-line machine code: every instruction becomes a few IL ops, jumps (always forward in
/// cBPF) become branches, A/X/M[] become locals. Semantics are <see cref="BpfInterpreter"/>'s.
/// </summary>
internal static class BpfCompiler
{
    private static readonly MethodInfo s_swap32 = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(uint)])!;
    private static readonly MethodInfo s_swap16 = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(ushort)])!;

    public static BpfCompiledFilter Compile(BpfInstruction[] program)
    {
        if (BpfInterpreter.Validate(program, out BpfInterpreter.Op[] ops) is { } error)
            throw new FilterException("(BPF program)", error);
        var method = new DynamicMethod("bpf_filter", typeof(uint), [typeof(byte*), typeof(uint), typeof(uint)],
            typeof(BpfCompiler).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        LocalBuilder a = il.DeclareLocal(typeof(uint));
        LocalBuilder x = il.DeclareLocal(typeof(uint));
        var mem = new LocalBuilder?[Bpf.MemWords];
        Label reject = il.DefineLabel();
        var labels = new Label[ops.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = il.DefineLabel();

        LocalBuilder Mem(uint k) => mem[k] ??= InitMem(il);

        for (int pc = 0; pc < ops.Length; pc++)
        {
            il.MarkLabel(labels[pc]);
            BpfInterpreter.Op op = ops[pc];
            uint k = op.K;
            switch (op.Kind)
            {
                case BpfInterpreter.Kind.RetK:
                    Const(il, k);
                    il.Emit(OpCodes.Ret);
                    break;
                case BpfInterpreter.Kind.RetA:
                    il.Emit(OpCodes.Ldloc, a);
                    il.Emit(OpCodes.Ret);
                    break;
                case BpfInterpreter.Kind.RetX:
                    il.Emit(OpCodes.Ldloc, x);
                    il.Emit(OpCodes.Ret);
                    break;
                case BpfInterpreter.Kind.LdWAbs:
                case BpfInterpreter.Kind.LdHAbs:
                case BpfInterpreter.Kind.LdBAbs:
                    {
                        uint size = op.Kind switch { BpfInterpreter.Kind.LdWAbs => 4u, BpfInterpreter.Kind.LdHAbs => 2u, _ => 1u };
                        if ((ulong)k + size > uint.MaxValue)
                        {
                            il.Emit(OpCodes.Br, reject);
                            break;
                        }
                        // reject when length < k + size
                        il.Emit(OpCodes.Ldarg_1);
                        Const(il, k + size);
                        il.Emit(OpCodes.Blt_Un, reject);
                        il.Emit(OpCodes.Ldarg_0);
                        Const(il, k);
                        il.Emit(OpCodes.Conv_U);
                        il.Emit(OpCodes.Add);
                        Load(il, size);
                        il.Emit(OpCodes.Stloc, a);
                        break;
                    }
                case BpfInterpreter.Kind.LdWInd:
                case BpfInterpreter.Kind.LdHInd:
                case BpfInterpreter.Kind.LdBInd:
                    {
                        uint size = op.Kind switch { BpfInterpreter.Kind.LdWInd => 4u, BpfInterpreter.Kind.LdHInd => 2u, _ => 1u };
                        // reject when (ulong)X + k + size > length
                        il.Emit(OpCodes.Ldloc, x);
                        il.Emit(OpCodes.Conv_U8);
                        il.Emit(OpCodes.Ldc_I8, (long)k + size);
                        il.Emit(OpCodes.Add);
                        il.Emit(OpCodes.Ldarg_1);
                        il.Emit(OpCodes.Conv_U8);
                        il.Emit(OpCodes.Bgt_Un, reject);
                        il.Emit(OpCodes.Ldarg_0);
                        il.Emit(OpCodes.Ldloc, x);
                        Const(il, k);
                        il.Emit(OpCodes.Add);
                        il.Emit(OpCodes.Conv_U);
                        il.Emit(OpCodes.Add);
                        Load(il, size);
                        il.Emit(OpCodes.Stloc, a);
                        break;
                    }
                case BpfInterpreter.Kind.LdLen:
                    il.Emit(OpCodes.Ldarg_2);
                    il.Emit(OpCodes.Stloc, a);
                    break;
                case BpfInterpreter.Kind.LdImm:
                    Const(il, k);
                    il.Emit(OpCodes.Stloc, a);
                    break;
                case BpfInterpreter.Kind.LdMem:
                    il.Emit(OpCodes.Ldloc, Mem(k));
                    il.Emit(OpCodes.Stloc, a);
                    break;
                case BpfInterpreter.Kind.LdxImm:
                    Const(il, k);
                    il.Emit(OpCodes.Stloc, x);
                    break;
                case BpfInterpreter.Kind.LdxMem:
                    il.Emit(OpCodes.Ldloc, Mem(k));
                    il.Emit(OpCodes.Stloc, x);
                    break;
                case BpfInterpreter.Kind.LdxLen:
                    il.Emit(OpCodes.Ldarg_2);
                    il.Emit(OpCodes.Stloc, x);
                    break;
                case BpfInterpreter.Kind.LdxMsh:
                    il.Emit(OpCodes.Ldarg_1);
                    Const(il, k);
                    il.Emit(OpCodes.Ble_Un, reject);
                    il.Emit(OpCodes.Ldarg_0);
                    Const(il, k);
                    il.Emit(OpCodes.Conv_U);
                    il.Emit(OpCodes.Add);
                    il.Emit(OpCodes.Ldind_U1);
                    Const(il, 0xF);
                    il.Emit(OpCodes.And);
                    Const(il, 2);
                    il.Emit(OpCodes.Shl);
                    il.Emit(OpCodes.Stloc, x);
                    break;
                case BpfInterpreter.Kind.St:
                    il.Emit(OpCodes.Ldloc, a);
                    il.Emit(OpCodes.Stloc, Mem(k));
                    break;
                case BpfInterpreter.Kind.Stx:
                    il.Emit(OpCodes.Ldloc, x);
                    il.Emit(OpCodes.Stloc, Mem(k));
                    break;
                case BpfInterpreter.Kind.AddK: AluK(il, a, k, OpCodes.Add); break;
                case BpfInterpreter.Kind.SubK: AluK(il, a, k, OpCodes.Sub); break;
                case BpfInterpreter.Kind.MulK: AluK(il, a, k, OpCodes.Mul); break;
                case BpfInterpreter.Kind.DivK: AluK(il, a, k, OpCodes.Div_Un); break;
                case BpfInterpreter.Kind.ModK: AluK(il, a, k, OpCodes.Rem_Un); break;
                case BpfInterpreter.Kind.AndK: AluK(il, a, k, OpCodes.And); break;
                case BpfInterpreter.Kind.OrK: AluK(il, a, k, OpCodes.Or); break;
                case BpfInterpreter.Kind.XorK: AluK(il, a, k, OpCodes.Xor); break;
                case BpfInterpreter.Kind.LshK: AluK(il, a, k, OpCodes.Shl); break;      // k < 32 (validated)
                case BpfInterpreter.Kind.RshK: AluK(il, a, k, OpCodes.Shr_Un); break;
                case BpfInterpreter.Kind.AddX: AluX(il, a, x, OpCodes.Add); break;
                case BpfInterpreter.Kind.SubX: AluX(il, a, x, OpCodes.Sub); break;
                case BpfInterpreter.Kind.MulX: AluX(il, a, x, OpCodes.Mul); break;
                case BpfInterpreter.Kind.AndX: AluX(il, a, x, OpCodes.And); break;
                case BpfInterpreter.Kind.OrX: AluX(il, a, x, OpCodes.Or); break;
                case BpfInterpreter.Kind.XorX: AluX(il, a, x, OpCodes.Xor); break;
                case BpfInterpreter.Kind.DivX:
                case BpfInterpreter.Kind.ModX:
                    il.Emit(OpCodes.Ldloc, x);
                    il.Emit(OpCodes.Brfalse, reject);
                    AluX(il, a, x, op.Kind == BpfInterpreter.Kind.DivX ? OpCodes.Div_Un : OpCodes.Rem_Un);
                    break;
                case BpfInterpreter.Kind.LshX:
                case BpfInterpreter.Kind.RshX:
                    {
                        // Shifts by 32 or more give 0 (IL leaves them unspecified).
                        Label inRange = il.DefineLabel(), done = il.DefineLabel();
                        il.Emit(OpCodes.Ldloc, x);
                        Const(il, 32);
                        il.Emit(OpCodes.Blt_Un, inRange);
                        Const(il, 0);
                        il.Emit(OpCodes.Stloc, a);
                        il.Emit(OpCodes.Br, done);
                        il.MarkLabel(inRange);
                        AluX(il, a, x, op.Kind == BpfInterpreter.Kind.LshX ? OpCodes.Shl : OpCodes.Shr_Un);
                        il.MarkLabel(done);
                        break;
                    }
                case BpfInterpreter.Kind.Neg:
                    il.Emit(OpCodes.Ldloc, a);
                    il.Emit(OpCodes.Neg);
                    il.Emit(OpCodes.Stloc, a);
                    break;
                case BpfInterpreter.Kind.Ja:
                    il.Emit(OpCodes.Br, labels[pc + 1 + (int)k]);
                    break;
                case BpfInterpreter.Kind.JeqK:
                case BpfInterpreter.Kind.JgtK:
                case BpfInterpreter.Kind.JgeK:
                case BpfInterpreter.Kind.JsetK:
                case BpfInterpreter.Kind.JeqX:
                case BpfInterpreter.Kind.JgtX:
                case BpfInterpreter.Kind.JgeX:
                case BpfInterpreter.Kind.JsetX:
                    {
                        Label t = labels[pc + 1 + op.Jt], f = labels[pc + 1 + op.Jf];
                        if (op.Jt == op.Jf)
                        {
                            il.Emit(OpCodes.Br, t);
                            break;
                        }
                        bool useX = op.Kind is BpfInterpreter.Kind.JeqX or BpfInterpreter.Kind.JgtX or BpfInterpreter.Kind.JgeX or BpfInterpreter.Kind.JsetX;
                        il.Emit(OpCodes.Ldloc, a);
                        if (useX)
                            il.Emit(OpCodes.Ldloc, x);
                        else
                            Const(il, k);
                        switch (op.Kind)
                        {
                            case BpfInterpreter.Kind.JeqK or BpfInterpreter.Kind.JeqX:
                                il.Emit(OpCodes.Beq, t);
                                break;
                            case BpfInterpreter.Kind.JgtK or BpfInterpreter.Kind.JgtX:
                                il.Emit(OpCodes.Bgt_Un, t);
                                break;
                            case BpfInterpreter.Kind.JgeK or BpfInterpreter.Kind.JgeX:
                                il.Emit(OpCodes.Bge_Un, t);
                                break;
                            default:
                                il.Emit(OpCodes.And);
                                il.Emit(OpCodes.Brtrue, t);
                                break;
                        }
                        il.Emit(OpCodes.Br, f);
                        break;
                    }
                case BpfInterpreter.Kind.Tax:
                    il.Emit(OpCodes.Ldloc, a);
                    il.Emit(OpCodes.Stloc, x);
                    break;
                case BpfInterpreter.Kind.Txa:
                    il.Emit(OpCodes.Ldloc, x);
                    il.Emit(OpCodes.Stloc, a);
                    break;
                default:
                    il.Emit(OpCodes.Br, reject);
                    break;
            }
        }
        il.MarkLabel(reject);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<BpfCompiledFilter>();
    }

    private static LocalBuilder InitMem(ILGenerator il) => il.DeclareLocal(typeof(uint));   // locals start at zero (InitLocals)

    private static void Const(ILGenerator il, uint value) => il.Emit(OpCodes.Ldc_I4, unchecked((int)value));

    private static void Load(ILGenerator il, uint size)
    {
        switch (size)
        {
            case 4:
                il.Emit(OpCodes.Unaligned, (byte)1);
                il.Emit(OpCodes.Ldind_U4);
                il.Emit(OpCodes.Call, s_swap32);
                break;
            case 2:
                il.Emit(OpCodes.Unaligned, (byte)1);
                il.Emit(OpCodes.Ldind_U2);
                il.Emit(OpCodes.Call, s_swap16);
                break;
            default:
                il.Emit(OpCodes.Ldind_U1);
                break;
        }
    }

    private static void AluK(ILGenerator il, LocalBuilder a, uint k, OpCode op)
    {
        il.Emit(OpCodes.Ldloc, a);
        Const(il, k);
        il.Emit(op);
        il.Emit(OpCodes.Stloc, a);
    }

    private static void AluX(ILGenerator il, LocalBuilder a, LocalBuilder x, OpCode op)
    {
        il.Emit(OpCodes.Ldloc, a);
        il.Emit(OpCodes.Ldloc, x);
        il.Emit(op);
        il.Emit(OpCodes.Stloc, a);
    }
}
