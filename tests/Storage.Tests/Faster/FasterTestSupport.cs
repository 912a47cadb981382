using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>A temporary data directory and small FASTER settings so tests spill to disk quickly.</summary>
public sealed class FasterTempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dittofs-faster-tests", Guid.NewGuid().ToString("N"));

    public FasterTempDir() => Directory.CreateDirectory(Path);

    public FasterMetadataStoreOptions Options(Action<FasterMetadataStoreOptionsBuilder>? tweak = null)
    {
        var b = new FasterMetadataStoreOptionsBuilder();
        tweak?.Invoke(b);
        return new FasterMetadataStoreOptions
        {
            DataDirectory = Path,
            KvMemorySize = b.KvMemorySize,
            KvPageSize = 1L << 16,
            KvSegmentSize = 1L << 20,
            WalSegmentSize = 1L << 20,
            CompactMinLogBytes = b.CompactMinLogBytes,
            KvIndexSize = 1L << 20,
            WalPageSize = 1L << 16,
            WalMemorySize = 1L << 20,
            CheckpointInterval = b.CheckpointInterval,
            CheckpointWalBytes = b.CheckpointWalBytes,
            DirectoryPageSize = b.DirectoryPageSize,
            CommitInterval = b.CommitInterval,
            Shipping = b.Shipping,
            ReserveBytes = b.ReserveBytes,
            Logger = b.Logger,
        };
    }

    public async Task<FasterMetadataStore> OpenAsync(Action<FasterMetadataStoreOptionsBuilder>? tweak = null)
    {
        var store = new FasterMetadataStore(Options(tweak));
        await store.OpenAsync();
        return store;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class FasterMetadataStoreOptionsBuilder
{
    public long KvMemorySize { get; set; } = 1L << 22;
    // Periodic checkpoints off by default so tests control when they happen.
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.Zero;
    public long CheckpointWalBytes { get; set; } = long.MaxValue;
    public int DirectoryPageSize { get; set; } = 128;
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(1);
    public DittoFs.Storage.Metadata.Shipping.ShippingOptions? Shipping { get; set; }
    public long CompactMinLogBytes { get; set; } = 32L << 20;
    public long ReserveBytes { get; set; }
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }
}

internal static class Ops
{
    public static byte[] N(string s) => Encoding.UTF8.GetBytes(s);

    public static InodeRecord File(ulong inode, ulong size = 0) => new()
    {
        Inode = inode, Type = FileType.Regular, Mode = 0x1A4, LinkCount = 1, Size = size, Generation = 7, Uid = 1000, Gid = 100,
    };

    public static InodeRecord Dir(ulong inode, ulong nextCookie = InodeRecord.FirstCookie, ulong entries = 0) => new()
    {
        Inode = inode, Type = FileType.Directory, Mode = 0x1ED, LinkCount = 2, Parent = inode, NextCookie = nextCookie, EntryCount = entries,
    };
}
