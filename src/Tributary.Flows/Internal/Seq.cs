using System.Runtime.CompilerServices;

namespace Tributary.Flows.Internal;

/// <summary>
/// TCP sequence-number comparisons modulo 2^32 (RFC 9293 §3.4), all through <c>(int)(a - b)</c> as the
/// house style (Suricata's SEQ_LT/SEQ_GT) prescribes.
/// </summary>
internal static class Seq
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Leq(uint a, uint b) => (int)(a - b) <= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Geq(uint a, uint b) => (int)(a - b) >= 0;

    /// <summary>Signed distance from <paramref name="b"/> to <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Delta(uint a, uint b) => (int)(a - b);
}
