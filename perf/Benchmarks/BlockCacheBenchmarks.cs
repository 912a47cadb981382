using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Perf;

/// <summary>
/// The block cache's hot path through the storage API (CachedPayloadStore, as the S3 store uses
/// it): a 4 KiB WRITE into a block that is already cached, and a 4 KiB READ of a cached block.
/// The object store behind it is in memory, so uploads cost no network.
/// </summary>
[MemoryDiagnoser]
public class BlockCacheBenchmarks
{
    private string _dir = "";
    private CachedPayloadStore _store = null!;
    private readonly byte[] _data = new byte[4096];
    private readonly byte[] _read = new byte[4096];
    private ulong _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dittofs-bench-cache-" + Guid.NewGuid().ToString("N")[..12]);
        Random.Shared.NextBytes(_data);
        _store = CachedPayloadStore.OpenAsync(new BlockCacheOptions { Directory = _dir, SizeBytes = 256L << 20 }, new MemoryObjectStore(), new DittoFs.Storage.Metadata.InMemoryMetadataStore()).GetAwaiter().GetResult();
        // Fill the first 4 MiB block so that both benchmarks hit a cached block.
        for (ulong off = 0; off < 4 << 20; off += 4096) _store.WriteAsync(1, off, new ReadOnlySequence<byte>(_data)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The next of the 1024 aligned 4 KiB offsets of the cached block.</summary>
    private ulong NextOffset() => (_next++ % 1024) * 4096;

    [Benchmark]
    public ValueTask Write4KCachedBlock() => _store.WriteAsync(1, NextOffset(), new ReadOnlySequence<byte>(_data));

    [Benchmark]
    public ValueTask Read4KCachedBlock() => _store.ReadAsync(1, NextOffset(), _read);

    /// <summary>An object store in memory (the flusher's uploads land here).</summary>
    private sealed class MemoryObjectStore : IObjectStore
    {
        private readonly ConcurrentDictionary<string, byte[]> _objects = new();

        public Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default)
        {
            _objects[key] = data.ToArray();
            return Task.CompletedTask;
        }

        public Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (!_objects.TryGetValue(key, out byte[]? o)) throw new ObjectNotFoundException(key);
            int n = (int)Math.Clamp(o.Length - offset, 0, destination.Length);
            o.AsMemory((int)offset, n).CopyTo(destination);
            return Task.FromResult(n);
        }

        public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
        {
            foreach (string k in keys) _objects.TryRemove(k, out _);
            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            foreach (var (k, v) in _objects)
            {
                if (k.StartsWith(prefix, StringComparison.Ordinal)) yield return new ObjectInfo(k, v.Length);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
