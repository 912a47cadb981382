using System.Buffers;
using DittoFs.Storage.Cache;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// With a metadata store several servers share, compaction is off (it would rewrite records another
/// server may have replaced meanwhile): a mostly dead segment stays as it is and its live blocks
/// still read back; a segment nothing names any more is still deleted.
/// </summary>
public sealed class SharedStoreCompactionTests : IAsyncDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly CrashableMetadataStore _metadata = new(TimeSpan.FromMilliseconds(1), shared: true);
    private readonly MemoryObjectStore _bucket = new();

    public async ValueTask DisposeAsync()
    {
        await _metadata.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private List<string> Segments() => [.. _bucket.Keys.Where(k => ObjectKeys.TryParseSegment(k, out _))];

    [Fact]
    public async Task AMostlyDeadSegmentIsNotCompactedAndADeadOneIsStillDeleted()
    {
        var contents = new Dictionary<ulong, byte[]>();
        await using CachedPayloadStore store = CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, 64, pack: true), _bucket, _metadata);
        for (ulong inode = 1; inode <= 10; inode++)
        {
            byte[] data = new byte[4000 + (int)inode];
            new Random((int)inode).NextBytes(data);
            contents[inode] = data;
            await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(data));
            await store.FlushAsync(inode);
        }
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        string first = Assert.Single(Segments());

        for (ulong inode = 1; inode <= 6; inode++)
        {
            await store.DeleteAsync(inode);
            contents.Remove(inode);
        }
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(first, Assert.Single(Segments())); // 4 of 10 live: left as it is
        foreach ((ulong inode, byte[] data) in contents)
        {
            byte[] got = new byte[data.Length];
            await store.ReadAsync(inode, 0, got);
            Assert.Equal(data, got);
        }

        foreach (ulong inode in contents.Keys) await store.DeleteAsync(inode);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(Segments());
    }
}
