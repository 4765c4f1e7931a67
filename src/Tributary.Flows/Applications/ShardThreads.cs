namespace Tributary.Flows.Applications;

/// <summary>One thread per shard, the caller's being shard 0 (flows stats, midstat).</summary>
internal static class ShardThreads
{
    /// <summary>Runs <paramref name="work"/>(0) on this thread and (1 … n-1) on background threads named <paramref name="name"/>-i, and waits for them all.</summary>
    public static void Run(int n, Action<int> work, string name)
    {
        var workers = new Thread[n];
        for (int i = 1; i < n; i++)
        {
            int index = i;
            workers[i] = new Thread(() => work(index)) { IsBackground = true, Name = $"{name}-{index}" };
            workers[i].Start();
        }
        work(0);
        for (int i = 1; i < n; i++)
            workers[i].Join();
    }
}
