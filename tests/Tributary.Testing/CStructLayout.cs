using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace Tributary.Testing;

/// <summary>
/// Checks that managed interop structs have the layout of the C structs they mirror, by compiling
/// <c>_Static_assert</c>s on <c>sizeof</c>, <c>offsetof</c> and member sizes with gcc against the
/// real headers (the Tmds.LibC approach, STYLE.md). The C# struct and its fields must carry the C
/// names verbatim.
/// </summary>
public static class CStructLayout
{
    /// <summary>
    /// Asserts each struct's size, and every field's offset and size, against <c>struct NAME</c> in
    /// <paramref name="includes"/>. <paramref name="extraIncludeDirectory"/> lets a test use vendored
    /// headers newer than Debian's (reference/kernel).
    /// </summary>
    public static void AssertMatchesC(IEnumerable<string> includes, IEnumerable<Type> structs, string? extraIncludeDirectory = null)
    {
        var c = new StringBuilder();
        c.AppendLine("#include <stddef.h>");
        foreach (string inc in includes)
            c.AppendLine($"#include <{inc}>");
        c.AppendLine("#define member_size(type, member) sizeof(((type *)0)->member)");
        foreach (Type t in structs)
        {
            string s = $"struct {t.Name}";
            c.AppendLine($"_Static_assert(sizeof({s}) == {Marshal.SizeOf(t)}, \"sizeof({s}) is not {Marshal.SizeOf(t)}\");");
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                int offset = (int)Marshal.OffsetOf(t, f.Name);
                int size = FieldSize(f);
                c.AppendLine($"_Static_assert(offsetof({s}, {f.Name}) == {offset}, \"{t.Name}.{f.Name} is not at offset {offset}\");");
                c.AppendLine($"_Static_assert(member_size({s}, {f.Name}) == {size}, \"{t.Name}.{f.Name} is not {size} bytes\");");
            }
        }
        List<string> args = ["-fsyntax-only", "-std=gnu11", "-x", "c", "-"];
        if (extraIncludeDirectory is not null)
            args.InsertRange(0, ["-I", extraIncludeDirectory]);
        ProcessResult r = ProcessRunner.Run("gcc", args, c.ToString());
        Assert.True(r.ExitCode == 0, $"gcc rejected the layout assertions:\n{r.StandardError}\n--- generated C ---\n{c}");
    }

    private static int FieldSize(FieldInfo f)
    {
        var fixedBuffer = f.GetCustomAttribute<System.Runtime.CompilerServices.FixedBufferAttribute>();
        if (fixedBuffer is not null)
            return Marshal.SizeOf(fixedBuffer.ElementType) * fixedBuffer.Length;
        return f.FieldType.IsEnum ? Marshal.SizeOf(Enum.GetUnderlyingType(f.FieldType)) : Marshal.SizeOf(f.FieldType);
    }
}
