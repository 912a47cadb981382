using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload.S3;
using DittoFs.Storage.Tests.S3;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>An <see cref="IObjectStore"/> that counts the calls it passes on to a real one.</summary>
internal sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
{
    public int Puts;
    public int Gets;
    /// <summary>PUTs of data: block objects and segments (not the filesystem id or metadata).</summary>
    public int DataPuts;

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Puts);
        if (ObjectKeys.TryParse(key, out _, out _, out _) || ObjectKeys.TryParseSegment(key, out _)) Interlocked.Increment(ref DataPuts);
        return inner.PutAsync(key, data, crc32c, cancellationToken);
    }

    public Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Gets);
        return inner.GetAsync(key, offset, destination, cancellationToken);
    }

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

internal static class CacheTestSupport
{
    /// <summary>Opens a cache over <paramref name="metadata"/> (which outlives it, as the metadata store outlives a server's cache).</summary>
    public static CachedPayloadStore Open(BlockCacheOptions options, IObjectStore objects, IMetadataStore metadata) =>
        CachedPayloadStore.OpenAsync(options, objects, metadata).GetAwaiter().GetResult();

    public static S3ObjectStore ObjectStore(string endpoint, string bucket, string prefix = "fs/") => new(new S3ObjectStoreOptions
    {
        Endpoint = endpoint,
        Region = MotoServer.Region,
        Bucket = bucket,
        Prefix = prefix,
        AccessKey = MotoServer.AccessKey,
        SecretKey = MotoServer.SecretKey,
        MaxErrorRetry = 0,
        Timeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>Options for a test cache; <paramref name="pack"/> false: one object per block, which most tests count.</summary>
    public static BlockCacheOptions Options(string directory, int blockSize = 64 * 1024, int blocks = 64, bool pack = false) => new()
    {
        PackSmallBlocks = pack,
        Directory = directory,
        BlockSize = blockSize,
        SizeBytes = (long)blockSize * blocks,
        FlushIdle = TimeSpan.FromMilliseconds(300),
        SegmentWait = TimeSpan.FromMilliseconds(200),
        CompleteSettle = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        UploadConcurrency = 4,
    };

    /// <summary>A crash image: the files of a running store copied as they are.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public static string TempDirectory() => Path.Combine(Path.GetTempPath(), "dittofs-tests", "cache-" + Guid.NewGuid().ToString("N")[..12]);
}
