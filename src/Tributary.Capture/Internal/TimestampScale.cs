using System.Runtime.CompilerServices;

namespace Tributary.Capture.Internal;

/// <summary>
/// Converts pcapng timestamps (units of if_tsresol since if_tsoffset) to nanoseconds since the epoch.
/// if_tsresol: most significant bit clear = 10^-n seconds, set = 2^-n seconds (draft-ietf-opsawg-pcapng §4.2).
/// </summary>
internal readonly struct TimestampScale
{
    private readonly long _multiplier;   // > 0: units × multiplier
    private readonly long _divisor;      // > 0: units / divisor (resolution finer than 1 ns)
    private readonly int _binaryShift;   // >= 0: 2^-n units
    private readonly long _offsetNanoseconds;

    private TimestampScale(long multiplier, long divisor, int binaryShift, long offsetNanoseconds)
    {
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryShift = binaryShift;
        _offsetNanoseconds = offsetNanoseconds;
    }

    public static bool TryCreate(byte code, long offsetSeconds, out TimestampScale scale, out ulong unitsPerSecond)
    {
        int n = code & 0x7F;
        long offsetNs = offsetSeconds * 1_000_000_000L;
        if ((code & 0x80) != 0)
        {
            scale = default;
            unitsPerSecond = 0;
            if (n > 63)
                return false;
            scale = new TimestampScale(0, 0, n, offsetNs);
            unitsPerSecond = 1UL << n;
            return true;
        }
        if (n > 19)
        {
            scale = default;
            unitsPerSecond = 0;
            return false;
        }
        unitsPerSecond = Pow10(n);
        scale = n <= 9
            ? new TimestampScale((long)Pow10(9 - n), 0, -1, offsetNs)
            : new TimestampScale(0, (long)Pow10(n - 9), -1, offsetNs);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ToNanoseconds(ulong units)
    {
        if (_multiplier > 0)
            return (long)units * _multiplier + _offsetNanoseconds;
        return Slow(units);
    }

    private long Slow(ulong units)
    {
        if (_divisor > 0)
            return (long)(units / (ulong)_divisor) + _offsetNanoseconds;
        ulong seconds = units >> _binaryShift;
        ulong fraction = units & ((1UL << _binaryShift) - 1);
        ulong ns = (ulong)((UInt128)fraction * 1_000_000_000UL >> _binaryShift);
        return (long)(seconds * 1_000_000_000UL + ns) + _offsetNanoseconds;
    }

    private static ulong Pow10(int n)
    {
        ulong v = 1;
        for (int i = 0; i < n; i++)
            v *= 10;
        return v;
    }
}
