using BenchmarkDotNet.Attributes;
using Tributary.Mptcp;

namespace Tributary.Benchmarks.Mptcp;

/// <summary>Per-message costs of the PM client: decoding a kernel event must not allocate (STYLE.md hot paths).</summary>
[MemoryDiagnoser]
public class EventDecodingBenchmarks
{
    // SUB_ESTABLISHED with if_idx, from reference/mptcpd/transcripts/wire-fixtures.txt.
    private readonly byte[] _subflow = Convert.FromHexString(
        "0a01000008000100a8dc0a770600020002000000080005000a0b0201080007000a0b010206000900aca9000006000a00145100000500030002000000050004000000000005000b000000000008000f0003000000");

    [Benchmark]
    public uint DecodeSubflowEstablished()
    {
        MptcpEventAttributes.TryParse(_subflow, out MptcpEventAttributes a);
        return a.Token ^ (uint)a.MissingRequired;
    }

    [Benchmark]
    public MptcpEvent DecodeToTypedRecord()
    {
        MptcpEventAttributes.TryParse(_subflow, out MptcpEventAttributes a);
        return MptcpEvent.From(a);
    }
}
