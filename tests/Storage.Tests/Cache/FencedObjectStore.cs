using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// One process's view of a bucket: after <see cref="Fence"/> (the process was killed) every call
/// fails, so the dead instance's uploads and deletes in flight never land; the bucket lives on
/// behind a new instance.
/// </summary>
internal sealed class FencedObjectStore(IObjectStore bucket) : IObjectStore
{
    private readonly Lock _lock = new();
    private bool _fenced;

    /// <summary>Waits for a call in flight to end (it lands or not, atomically), then refuses the rest.</summary>
    public void Fence()
    {
        lock (_lock) _fenced = true;
    }

    private void Check()
    {
        if (_fenced) throw new HttpRequestException("the process is gone");
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Check();
            return bucket.PutAsync(key, data, crc32c, cancellationToken); // the memory bucket completes synchronously
        }
    }

    public Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Check();
            return bucket.GetAsync(key, offset, destination, cancellationToken);
        }
    }

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Check();
            return bucket.DeleteAsync(keys, cancellationToken);
        }
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        Check();
        return bucket.ListAsync(prefix, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the bucket outlives the process
}
