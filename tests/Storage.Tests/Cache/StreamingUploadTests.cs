using System.Buffers;
using System.Diagnostics.Metrics;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Payload.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// Big files stream: a block the sequential writer has finished and gone past is uploaded at once
/// (not after FlushIdle or the settle time), and a sequential reader's next blocks are fetched ahead,
/// counted as read-ahead hits, misses and wasted fetches; a missing object is still an IO error.
/// </summary>
public sealed class StreamingUploadTests : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly Meters _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Blocks of <paramref name="inode"/> that have an object.</summary>
    private static HashSet<ulong> Uploaded(MemoryObjectStore objects, ulong inode) =>
        [.. objects.Keys.Select(k => ObjectKeys.TryParse(k, out ulong i, out ulong b, out _) && i == inode ? b : ulong.MaxValue).Where(b => b != ulong.MaxValue)];

    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20);
        }
        return true;
    }

    [Fact]
    public async Task ACompleteBlockUploadsAsSoonAsTheWriterStartsTheNextOne()
    {
        var objects = new MemoryObjectStore();
        // Neither idleness nor settling would upload anything during this test.
        BlockCacheOptions options = CacheTestSupport.Options(_directory, Bs) with { FlushIdle = TimeSpan.FromHours(1), CompleteSettle = TimeSpan.FromHours(1) };
        byte[] data = Random(3 * Bs + 100, 1);
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, _metadata))
        {
            await store.WriteAsync(5, 0, new ReadOnlySequence<byte>(data, 0, Bs)); // block 0 complete
            await Task.Delay(300);
            Assert.Empty(Uploaded(objects, 5)); // complete, but the writer may still come back to it
            await store.WriteAsync(5, Bs, new ReadOnlySequence<byte>(data, Bs, 4096)); // the writer moved on
            Assert.True(await Eventually(() => Uploaded(objects, 5).Contains(0)), "block 0 not uploaded");
            for (int at = Bs + 4096; at < data.Length; at += 8192)
            {
                await store.WriteAsync(5, (ulong)at, new ReadOnlySequence<byte>(data, at, Math.Min(8192, data.Length - at)));
            }
            Assert.True(await Eventually(() => Uploaded(objects, 5).SetEquals([0, 1, 2])), $"uploaded {string.Join(",", Uploaded(objects, 5))}");
            await Task.Delay(300);
            Assert.Equal([0UL, 1UL, 2UL], Uploaded(objects, 5).Order()); // the tail (block 3) waits for FlushIdle
            await store.FlushAsync(5);
        }
        // Read back cold (the clean copies dropped): the streamed objects hold the bytes.
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, _metadata))
        {
            byte[] got = new byte[data.Length];
            await store.ReadAsync(5, 0, got);
            Assert.Equal(data, got);
        }
    }

    [Fact]
    public async Task ASequentialReaderFindsTheNextBlocksFetchedAheadAndAMissingOneIsStillAnError()
    {
        var objects = new MemoryObjectStore();
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName && instrument.Name == "dittofs.cache.readahead") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (counts)
            {
                foreach (KeyValuePair<string, object?> tag in tags) counts[(string)tag.Value!] = counts.GetValueOrDefault((string)tag.Value!) + value;
            }
        });
        listener.Start();
        long Count(string result)
        {
            lock (counts) return counts.GetValueOrDefault(result);
        }

        var metrics = new StorageMetrics(_meters);
        BlockCacheOptions options = CacheTestSupport.Options(_directory, Bs) with { ReadAheadBlocks = 4, Metrics = metrics };
        byte[] data = Random(16 * Bs, 2);
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, _metadata))
        {
            await store.WriteAsync(9, 0, new ReadOnlySequence<byte>(data));
            await store.FlushAsync(9);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, _metadata))
        {
            // Sequential 16 KiB reads of a cold file: after the first two, every block was fetched ahead.
            byte[] got = new byte[data.Length];
            for (int at = 0; at < data.Length; at += 16 * 1024) await store.ReadAsync(9, (ulong)at, got.AsMemory(at, 16 * 1024));
            Assert.Equal(data, got);
            Assert.True(Count("hit") >= 13, $"hits {Count("hit")}, misses {Count("miss")}");
            Assert.True(Count("miss") <= 2, $"hits {Count("hit")}, misses {Count("miss")}");
        }

        // A block's object gone from the bucket: read-ahead fetches it and fails, the reader gets an IO error, never zeros.
        string victim = objects.Keys.Single(k => ObjectKeys.TryParse(k, out ulong i, out ulong b, out _) && i == 9 && b == 6);
        await objects.DeleteAsync([victim]);
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, _metadata))
        {
            byte[] got = new byte[16 * 1024];
            for (int at = 0; at < 6 * Bs; at += got.Length) await store.ReadAsync(9, (ulong)at, got);
            await Assert.ThrowsAsync<IOException>(async () => await store.ReadAsync(9, 6 * Bs, got));
        }
    }

    private sealed class Meters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            lock (_meters) _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            lock (_meters) foreach (Meter m in _meters) m.Dispose();
        }
    }
}
