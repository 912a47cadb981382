namespace DittoFs.Storage.Payload.S3;

/// <summary>One object of a listing: its key (relative to the store's prefix) and size.</summary>
public readonly record struct ObjectInfo(string Key, long Size);

/// <summary>The object was not found (404 / NoSuchKey).</summary>
public sealed class ObjectNotFoundException(string key, Exception? inner = null) : IOException($"object '{key}' not found", inner)
{
    public string Key { get; } = key;
}

/// <summary>
/// The few object-store operations the block cache needs. Keys are relative to a
/// store-wide prefix. Implementations throw on any failure (the flusher retries).
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>Stores <paramref name="data"/> under <paramref name="key"/>; the store verifies it arrived intact (Content-MD5).</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default);

    /// <summary>Reads bytes [offset, offset + destination.Length) of an object (ranged GET); returns the count read (short at the object's end).</summary>
    Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>Deletes objects (missing ones are not an error).</summary>
    Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> (relative to the store prefix).</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);
}
