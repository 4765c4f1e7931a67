namespace Tributary.Testing;

/// <summary>Every await of an outside event in a test goes through <c>WithTimeout</c> (STYLE.md).</summary>
public static class TaskTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null, string? what = null)
    {
        TimeSpan t = timeout ?? Default;
        Task done = await Task.WhenAny(task, Task.Delay(t)).ConfigureAwait(false);
        if (done != task)
            throw new TimeoutException($"timed out after {t.TotalSeconds:0.#} s waiting for {what ?? "an event"}");
        return await task.ConfigureAwait(false);
    }

    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null, string? what = null)
    {
        TimeSpan t = timeout ?? Default;
        Task done = await Task.WhenAny(task, Task.Delay(t)).ConfigureAwait(false);
        if (done != task)
            throw new TimeoutException($"timed out after {t.TotalSeconds:0.#} s waiting for {what ?? "an event"}");
        await task.ConfigureAwait(false);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (kernel selftest style: poll, never sleep blindly).</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what ?? "a condition"}");
            Thread.Sleep(10);
        }
    }
}
