using System.Buffers.Binary;

namespace Tributary.Capture.Tests.Files;

/// <summary>Random damage to capture files, for the fuzz tests of the readers.</summary>
public static class Mutations
{
    /// <summary>A copy of <paramref name="original"/> with 1-11 random places overwritten (bytes, bits, whole 32-bit lengths), a third of the time also cut short.</summary>
    public static byte[] Mutate(byte[] original, Random rng)
    {
        byte[] f = (byte[])original.Clone();
        int mutations = rng.Next(1, 12);
        for (int m = 0; m < mutations; m++)
        {
            int at = rng.Next(f.Length);
            switch (rng.Next(4))
            {
                case 0: f[at] = (byte)rng.Next(256); break;
                case 1: f[at] ^= (byte)(1 << rng.Next(8)); break;
                case 2: if (at + 4 <= f.Length) BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(at), (uint)rng.Next()); break;
                default: if (at + 4 <= f.Length) BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(at), (uint)rng.Next(0, 100)); break;
            }
        }
        return rng.Next(3) == 0 ? f[..rng.Next(f.Length)] : f;
    }
}
