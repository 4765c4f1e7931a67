using Tributary.Flows.Internal;

namespace Tributary.Flows.Tests.Engine;

/// <summary>Sequence arithmetic, receive buffers, range sets and the flow table, against simple reference models.</summary>
public sealed class StructureTests
{
    [Theory]
    [InlineData(1u, 2u, true)]
    [InlineData(0xFFFFFFF0u, 0x10u, true)]   // across the wrap
    [InlineData(0x10u, 0xFFFFFFF0u, false)]
    [InlineData(5u, 5u, false)]
    [InlineData(0x7FFFFFFFu, 0u, false)]     // 2^31 - 1 ahead: later
    public void Sequence_comparisons_are_modulo_2_32(uint a, uint b, bool less)
    {
        Assert.Equal(less, Seq.Lt(a, b));
        Assert.Equal(less || a == b, Seq.Leq(a, b));
        Assert.Equal(!less && a != b, Seq.Gt(a, b));
        Assert.Equal(!less, Seq.Geq(a, b));
        Assert.Equal((int)(a - b), Seq.Delta(a, b));
    }

    public static TheoryData<int> ReceiveBufferSeeds() => FuzzSeeds.Of(1, 2, 3, 4);

    /// <summary>Odd seeds run overlap policy FIRST, even seeds LAST.</summary>
    [Theory]
    [MemberData(nameof(ReceiveBufferSeeds))]
    public void Receive_buffer_matches_a_byte_model_without_fast_forward(int seed)
    {
        OverlapPolicy policy = seed % 2 == 1 ? OverlapPolicy.First : OverlapPolicy.Last;
        var rng = new Random(seed);
        var buffer = new ReceiveBuffer(4096) { Policy = policy };
        var model = new byte?[4096];
        for (int step = 0; step < 400; step++)
        {
            int off = rng.Next(0, 4000);
            int len = rng.Next(1, Math.Min(96, 4096 - off));
            byte value = (byte)rng.Next(1, 255);
            var data = Enumerable.Repeat(value, len).ToArray();
            Assert.Equal(len, buffer.Write(data, off));
            for (int i = off; i < off + len; i++)
            {
                if (policy == OverlapPolicy.Last || model[i] is null)
                    model[i] = value;
            }
            AssertSameAsModel(buffer, model);
        }
    }

    private static void AssertSameAsModel(ReceiveBuffer b, byte?[] model)
    {
        // Fragments are exactly the maximal runs of written bytes, merged when adjacent.
        var runs = new List<(long, long)>();
        for (int i = 0; i < model.Length;)
        {
            if (model[i] is null)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < model.Length && model[j] is not null)
                j++;
            runs.Add((i, j));
            i = j;
        }
        Assert.Equal(runs.Count, b.FragmentCount);
        for (int k = 0; k < runs.Count; k++)
        {
            Assert.Equal(runs[k], (b.FragmentHead(k), b.FragmentTail(k)));
            var bytes = new byte[runs[k].Item2 - runs[k].Item1];
            b.CopyOut(runs[k].Item1, bytes);
            for (int i = 0; i < bytes.Length; i++)
                Assert.Equal(model[runs[k].Item1 + i], bytes[i]);
        }
        Assert.Equal(b.FragmentCount > 0 && b.FragmentHead(0) == 0 ? b.FragmentTail(0) : 0, b.ContiguousEnd);
    }

    [Fact]
    public void Receive_buffer_fast_forward_never_passes_the_pile()
    {
        var b = new ReceiveBuffer(1024);
        Assert.Equal(1000, b.Write(new byte[1000], 0));
        Assert.True(b.SetPile(1000));
        // 600 more bytes need the head to move by 576; the pile (1000) allows it.
        Assert.Equal(576, b.FastForwardNeeded(1600));
        Assert.Equal(600, b.Write(Enumerable.Repeat((byte)7, 600).ToArray(), 1000));
        Assert.Equal(576, b.Head);
        Assert.Equal((576L, 1600L), (b.FragmentHead(0), b.FragmentTail(0)));
        var tail = new byte[600];
        b.CopyOut(1000, tail);
        Assert.All(tail, x => Assert.Equal(7, x));
        // With the pile still at 1000 the head may move at most to 1000: a write reaching 2100 is cut.
        Assert.Equal(424, b.Write(new byte[500], 1600));
        Assert.Equal(1000, b.Head);
        Assert.Equal(-1, b.Write(new byte[10], 10)); // before the head
        Assert.Equal(-1, b.Write(new byte[10], b.Pile + 1024)); // beyond pile + capacity
    }

    [Fact]
    public void Receive_buffer_overlap_check_is_strict()
    {
        var b = new ReceiveBuffer(4096);
        b.Write(new byte[100], 100);
        Assert.False(b.Overlaps(0, 100));   // touching is not overlapping
        Assert.False(b.Overlaps(200, 300));
        Assert.True(b.Overlaps(199, 300));
        Assert.True(b.Overlaps(0, 101));
        Assert.Equal(-1, b.FindFragment(99));
        Assert.Equal(0, b.FindFragment(150));
    }

    public static TheoryData<int> RangeSetSeeds() => FuzzSeeds.Of(7);

    [Theory]
    [MemberData(nameof(RangeSetSeeds))]
    public void Range_set_merges_and_absorbs_like_a_set_model(int seed)
    {
        var rng = new Random(seed);
        var set = new RangeSet();
        var model = new bool[10_000];
        for (int step = 0; step < 2000; step++)
        {
            int start = rng.Next(0, 9900), len = rng.Next(1, 100);
            bool overlaps = false;
            for (int i = start; i < start + len; i++)
                overlaps |= model[i];
            Assert.Equal(overlaps, set.Overlaps(start, start + len));
            set.Add(start, start + len);
            for (int i = start; i < start + len; i++)
                model[i] = true;
        }
        long next = 0;
        while (next < model.Length && model[next])
            next++;
        Assert.Equal(next, set.Absorb(0));
        Assert.True(set.Count == 0 || set.Start(0) > next);
    }

    public static TheoryData<int> FlowTableSeeds() => FuzzSeeds.Of(11);

    [Theory]
    [MemberData(nameof(FlowTableSeeds))]
    public void Flow_table_agrees_with_a_dictionary_under_random_churn(int seed)
    {
        var rng = new Random(seed);
        var flows = new FlowRecord[4096];
        var table = new FlowTable(16);
        var live = new Dictionary<FlowKey, int>();
        var free = new Stack<int>(Enumerable.Range(0, flows.Length).Reverse());
        for (int step = 0; step < 50_000; step++)
        {
            var key = new FlowKey
            {
                SourceLow = (ulong)rng.Next(0, 64), DestinationLow = 7, SourcePort = (ushort)rng.Next(0, 64), DestinationPort = 80, Version = 4,
            };
            uint hash = key.SourcePort % 4 == 0 ? 42u : key.DirectionalHash(); // colliding hashes force long probe runs
            int found = table.Find(key, hash, flows);
            if (live.TryGetValue(key, out int idx))
            {
                Assert.Equal(idx << 1, found);
                if (rng.Next(2) == 0)
                {
                    Assert.True(table.Remove(flows[idx].ClientHash, idx << 1));
                    live.Remove(key);
                    free.Push(idx);
                }
            }
            else if (found < 0 && free.Count > 0)
            {
                // Each key keeps the hash it was inserted with.
                int i = free.Pop();
                flows[i].ClientKey = key;
                flows[i].ClientHash = hash;
                table.Add(hash, i << 1);
                live[key] = i;
            }
            Assert.Equal(live.Count, table.Count);
        }
        foreach ((FlowKey k, int i) in live)
            Assert.Equal(i << 1, table.Find(k, flows[i].ClientHash, flows));
    }
}
