using System.Buffers;
using System.Numerics;

namespace DittoFs.Server.Buffers;

/// <summary>
/// Record and reply buffers. Small ones come from <see cref="ArrayPool{T}.Shared"/>; large ones
/// (128 KiB and over: 1 MiB READ replies and WRITE records) from a pool that keeps at most
/// <see cref="RetainedLimit"/> bytes and frees what was not reused for <see cref="TrimAfter"/>.
/// <see cref="ArrayPool{T}.Shared"/> would keep dozens of 2 MiB arrays per core until a gen-2
/// collection under memory pressure, which an idle server never has: after hostile clients left,
/// their buffers stayed in the process. Here, once large buffers are freed, one compacting
/// collection gives the memory back to the system.
/// </summary>
internal static class BufferPool
{
    public const int LargeThreshold = 128 * 1024;

    // Size classes: (64 KiB << k) + 64 KiB, so a 1 MiB READ reply or a 1 MiB + 64 KiB record fits the
    // 1088 KiB class instead of a 2 MiB array.
    private const int Slack = 64 * 1024;
    private const int Classes = 11; // up to 64 MiB + 64 KiB, the largest MaxRecordSize

    private static readonly Stack<(byte[] Array, long ReturnedAt)>[] s_free = Enumerable.Range(0, Classes).Select(_ => new Stack<(byte[], long)>()).ToArray();
    private static readonly Lock s_lock = new();
    private static long s_retained;
    private static long s_freedSinceCollect;
    private static long s_lastLargeRent;

    /// <summary>Bytes of large buffers kept for reuse, at most.</summary>
    public static long RetainedLimit { get; set; } = 64L << 20;

    /// <summary>A large buffer not reused for this long is freed.</summary>
    public static TimeSpan TrimAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of large buffers kept for reuse now.</summary>
    public static long Retained => Volatile.Read(ref s_retained);

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength < LargeThreshold) return ArrayPool<byte>.Shared.Rent(minimumLength);
        int k = ClassOf(minimumLength);
        if (k >= Classes) return GC.AllocateUninitializedArray<byte>(minimumLength);
        Volatile.Write(ref s_lastLargeRent, Environment.TickCount64);
        lock (s_lock)
        {
            if (s_free[k].TryPop(out var entry))
            {
                s_retained -= entry.Array.Length;
                return entry.Array;
            }
        }
        return GC.AllocateUninitializedArray<byte>(SizeOf(k));
    }

    public static void Return(byte[] array)
    {
        if (array.Length < LargeThreshold)
        {
            if (array.Length > 0) ArrayPool<byte>.Shared.Return(array);
            return;
        }
        int k = ClassOf(array.Length);
        lock (s_lock)
        {
            if (k < Classes && SizeOf(k) == array.Length && s_retained + array.Length <= RetainedLimit)
            {
                s_free[k].Push((array, Environment.TickCount64));
                s_retained += array.Length;
                return;
            }
            s_freedSinceCollect += array.Length; // dropped: the GC takes it
        }
    }

    /// <summary>
    /// Frees buffers unused for <see cref="TrimAfter"/>; once large buffers stopped being rented and
    /// at least <paramref name="collectAfterBytes"/> were freed since the last time, runs one
    /// compacting collection so the memory leaves the process. Returns the bytes freed now.
    /// </summary>
    public static long Trim(long collectAfterBytes = 32L << 20)
    {
        long now = Environment.TickCount64;
        long cutoff = now - (long)TrimAfter.TotalMilliseconds;
        long freed = 0;
        bool collect;
        lock (s_lock)
        {
            foreach (Stack<(byte[] Array, long ReturnedAt)> stack in s_free)
            {
                if (stack.Count == 0 || stack.Min(e => e.ReturnedAt) > cutoff) continue;
                var keep = stack.Where(e => e.ReturnedAt > cutoff).Reverse().ToArray();
                foreach (var e in stack) if (e.ReturnedAt <= cutoff) freed += e.Array.Length;
                stack.Clear();
                foreach (var e in keep) stack.Push(e);
            }
            s_retained -= freed;
            s_freedSinceCollect += freed;
            collect = s_freedSinceCollect >= collectAfterBytes && now - Volatile.Read(ref s_lastLargeRent) > TrimAfter.TotalMilliseconds;
            if (collect) s_freedSinceCollect = 0;
        }
        if (collect)
        {
            // Rare (after a burst of large buffers, once they are idle): return freed heap to the system.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        return freed;
    }

    private static int ClassOf(int length)
    {
        int units = Math.Max(1, (length - Slack + (Slack - 1)) / Slack); // 64 KiB units above the slack, rounded up
        return BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)units));
    }

    private static int SizeOf(int k) => (Slack << k) + Slack;
}
