using System.Buffers;
using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests;

public sealed class LocalPayloadStoreTests : IAsyncLifetime
{
    private const int Block = 4096;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dittofs-payload-tests", Guid.NewGuid().ToString("N"));
    private LocalPayloadStore _store = null!;

    public Task InitializeAsync()
    {
        _store = new LocalPayloadStore(new LocalPayloadStoreOptions { Root = _root, BlockSize = Block, MaxOpenFiles = 4 });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 31 + seed);
        return data;
    }

    private async Task<byte[]> ReadAsync(ulong inode, ulong offset, int length)
    {
        var buffer = new byte[length];
        Array.Fill(buffer, (byte)0xEE); // so unwritten-but-not-zeroed bytes show
        await _store.ReadAsync(inode, offset, buffer);
        return buffer;
    }

    private ValueTask WriteAsync(ulong inode, ulong offset, byte[] data) => _store.WriteAsync(inode, offset, new ReadOnlySequence<byte>(data));

    /// <summary>The blocks that have a file on disk, sorted.</summary>
    private async Task<ulong[]> BlockFilesAsync(ulong inode) => [.. (await _store.ListBlocksAsync(inode, default)).Order()];

    [Fact]
    public async Task ANewStore_KeepsBlockZeroFlat_NoDirectoryPerSmallFile()
    {
        Assert.Equal("2", File.ReadAllText(Path.Combine(_root, "layout")).Trim());
        byte[] data = Pattern(3000);
        await WriteAsync(0x10203, 0, data);
        await _store.FlushAsync(0x10203);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_root, "01", "02", "0000000000010203.0")));
        Assert.False(Directory.Exists(_store.InodeDirectory(0x10203)));
        // 256 consecutive inodes share one fan-out directory.
        for (ulong inode = 0x10200; inode < 0x10210; inode++) await WriteAsync(inode, 0, [1]);
        Assert.Single(Directory.GetDirectories(Path.Combine(_root, "01")));

        // A second block makes the inode directory; the flat block 0 stays where it is.
        await WriteAsync(0x10203, Block, [7]);
        Assert.Equal(new ulong[] { 0, 1 }, await BlockFilesAsync(0x10203));
        await _store.TruncateAsync(0x10203, 10);
        Assert.Equal(new ulong[] { 0 }, await BlockFilesAsync(0x10203));
        Assert.Equal(data[..10], await ReadAsync(0x10203, 0, 10));
        await _store.DeleteAsync(0x10203);
        Assert.Empty(await BlockFilesAsync(0x10203));
        Assert.False(File.Exists(Path.Combine(_root, "01", "02", "0000000000010203.0")));
    }

    [Fact]
    public async Task AStoreFromBeforeTheLayoutMarker_KeepsItsLayout()
    {
        // Layout 1: <lo byte>/<next byte>/<inode hex>/<block>, no marker.
        string legacy = Path.Combine(Path.GetTempPath(), "dittofs-payload-tests", Guid.NewGuid().ToString("N"));
        string inodeDir = Path.Combine(legacy, "03", "02", "0000000000010203");
        Directory.CreateDirectory(inodeDir);
        byte[] old = Pattern(500, 3);
        File.WriteAllBytes(Path.Combine(inodeDir, "0"), old);
        await using var store = new LocalPayloadStore(new LocalPayloadStoreOptions { Root = legacy, BlockSize = Block });
        try
        {
            Assert.False(File.Exists(Path.Combine(legacy, "layout")));
            var read = new byte[500];
            await store.ReadAsync(0x10203, 0, read);
            Assert.Equal(old, read);
            await store.WriteAsync(0x10204, 0, new ReadOnlySequence<byte>(Pattern(100, 4)));
            Assert.True(File.Exists(Path.Combine(legacy, "04", "02", "0000000000010204", "0")));
            Assert.Equal(new ulong[] { 0 }, (await store.ListBlocksAsync(0x10203, default)).ToArray());
            await store.DeleteAsync(0x10203);
            Assert.False(Directory.Exists(inodeDir));
        }
        finally
        {
            try { Directory.Delete(legacy, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void AnUnknownLayout_IsRefused()
    {
        string other = Path.Combine(Path.GetTempPath(), "dittofs-payload-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "layout"), "3\n");
        try
        {
            var e = Assert.Throws<StorageRefusedException>(() => new LocalPayloadStore(new LocalPayloadStoreOptions { Root = other, BlockSize = Block }));
            Assert.Contains("layout '3'", e.Message);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task WriteAndRead_AcrossBlockBoundaries()
    {
        byte[] data = Pattern(Block * 3 + 123);
        await WriteAsync(1, Block - 100, data);
        Assert.Equal(data, await ReadAsync(1, Block - 100, data.Length));
        Assert.Equal(data[50..5000], await ReadAsync(1, Block - 50, 4950));
        Assert.Equal(new ulong[] { 0, 1, 2, 3, 4 }, await BlockFilesAsync(1));
    }

    [Fact]
    public async Task Holes_AndUnwrittenFiles_ReadAsZeros()
    {
        await WriteAsync(2, 10 * Block + 5, [1, 2, 3]);
        byte[] read = await ReadAsync(2, 0, 11 * Block);
        Assert.Equal(new byte[] { 1, 2, 3 }, read[(10 * Block + 5)..(10 * Block + 8)]);
        Assert.Equal(3, read.Count(b => b != 0));
        Assert.All(await ReadAsync(99, 12345, 100), b => Assert.Equal(0, b));
        Assert.Equal(new ulong[] { 10 }, await BlockFilesAsync(2));
    }

    [Fact]
    public async Task Truncate_ThenExtend_ReadsZeros()
    {
        byte[] data = Pattern(3 * Block);
        await WriteAsync(3, 0, data);
        await _store.TruncateAsync(3, Block + 10);
        Assert.Equal(new ulong[] { 0, 1 }, await BlockFilesAsync(3));

        byte[] read = await ReadAsync(3, 0, 3 * Block);
        Assert.Equal(data[..(Block + 10)], read[..(Block + 10)]);
        Assert.All(read[(Block + 10)..], b => Assert.Equal(0, b));

        await WriteAsync(3, 3 * Block - 1, [9]);
        read = await ReadAsync(3, 0, 3 * Block);
        Assert.All(read[(Block + 10)..(3 * Block - 1)], b => Assert.Equal(0, b));
        Assert.Equal(9, read[^1]);
    }

    [Fact]
    public async Task Truncate_OnABlockBoundary_DropsTheWholeBlock()
    {
        await WriteAsync(4, 0, Pattern(2 * Block));
        await _store.TruncateAsync(4, Block);
        Assert.Equal(new ulong[] { 0 }, await BlockFilesAsync(4));
        await _store.TruncateAsync(4, 0);
        Assert.Empty(await BlockFilesAsync(4));
        Assert.All(await ReadAsync(4, 0, 2 * Block), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Truncate_OfUnknownInode_IsANoOp()
    {
        await _store.TruncateAsync(12345, 0);
        Assert.Empty(await BlockFilesAsync(12345));
        Assert.False(Directory.Exists(_store.InodeDirectory(12345)));
    }

    [Fact]
    public async Task Delete_RemovesEverything()
    {
        await WriteAsync(5, 0, Pattern(2 * Block));
        await _store.FlushAsync(5);
        await _store.DeleteAsync(5);
        Assert.Empty(await BlockFilesAsync(5));
        Assert.False(Directory.Exists(_store.InodeDirectory(5)));
        Assert.All(await ReadAsync(5, 0, 2 * Block), b => Assert.Equal(0, b));
        await _store.DeleteAsync(5);
        await _store.FlushAsync(5);
    }

    [Fact]
    public async Task ConcurrentFlushes_AllComplete_AndDataSurvivesReopen()
    {
        for (ulong inode = 10; inode < 30; inode++) await WriteAsync(inode, inode * 100, Pattern(2 * Block, (int)inode));
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _store.FlushAsync((ulong)(10 + i % 20)).AsTask()));

        await using var reopened = new LocalPayloadStore(new LocalPayloadStoreOptions { Root = _root, BlockSize = Block });
        for (ulong inode = 10; inode < 30; inode++)
        {
            var buffer = new byte[2 * Block];
            await reopened.ReadAsync(inode, inode * 100, buffer);
            Assert.Equal(Pattern(2 * Block, (int)inode), buffer);
        }
    }

    [Fact]
    public async Task ConcurrentWritesAndFlushes_ToManyBlocks_WithASmallHandleCache()
    {
        // MaxOpenFiles is 4: handles get evicted while in use and must stay valid until released.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            await WriteAsync(40, (ulong)(i * Block), Pattern(Block, i));
            await _store.FlushAsync(40);
        })));
        for (int i = 0; i < 64; i++) Assert.Equal(Pattern(Block, i), await ReadAsync(40, (ulong)(i * Block), Block));
    }

    [Fact]
    public async Task MultiSegmentWrite_SpanningBlocks()
    {
        byte[] data = Pattern(3 * Block);
        var first = new Segment(data.AsMemory(0, 100));
        Segment last = first.Append(data.AsMemory(100, 2 * Block)).Append(data.AsMemory(100 + 2 * Block));
        await _store.WriteAsync(6, 50, new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));
        Assert.Equal(data, await ReadAsync(6, 50, data.Length));
    }

    [Fact]
    public void Capacity_IsReported()
    {
        (ulong total, ulong free) = _store.GetCapacity();
        Assert.True(total > 0);
        Assert.True(free <= total);
    }

    [Fact]
    public void DiskFull_IsRecognised()
    {
        Assert.True(StorageFullException.IsDiskFull(new IOException("full", 28)));
        Assert.False(StorageFullException.IsDiskFull(new IOException("other", 5)));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
