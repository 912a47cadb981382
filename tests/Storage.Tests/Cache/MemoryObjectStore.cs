using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>An object store in memory with S3's semantics the cache relies on (ranged GET, 404 as ObjectNotFoundException, idempotent DELETE), for model tests that run thousands of steps.</summary>
internal sealed class MemoryObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    public int Puts;

    public IReadOnlyCollection<string> Keys => [.. _objects.Keys];

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Puts);
        _objects[key] = data.ToArray();
        return Task.CompletedTask;
    }

    public Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (!_objects.TryGetValue(key, out byte[]? data)) throw new ObjectNotFoundException(key);
        int n = (int)Math.Clamp(data.Length - offset, 0, destination.Length);
        data.AsSpan((int)offset, n).CopyTo(destination.Span);
        return Task.FromResult(n);
    }

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        foreach (string key in keys) _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach ((string key, byte[] data) in _objects.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) yield return new ObjectInfo(key, data.Length);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
