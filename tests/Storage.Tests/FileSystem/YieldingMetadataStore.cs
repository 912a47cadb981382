using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Tests;

/// <summary>
/// A metadata store that yields the thread inside every call (before it reaches the real store), so
/// concurrent filesystem changes interleave between each of their reads and their apply, as they would on a
/// store with real round trips. <see cref="BeforeApply"/> may hold a batch back (tests of what waits for what).
/// </summary>
internal sealed class YieldingMetadataStore(IMetadataStore inner) : IMetadataStore
{
    public Func<MetadataOp[], Task>? BeforeApply { get; set; }

    public async ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        await Task.Yield();
        if (BeforeApply is { } hook) await hook(ops);
        return await inner.ApplyAsync(ops);
    }

    public async ValueTask<InodeRecord?> GetInodeAsync(ulong inode)
    {
        await Task.Yield();
        return await inner.GetInodeAsync(inode);
    }

    public async ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name)
    {
        await Task.Yield();
        return await inner.GetEntryAsync(directory, name);
    }

    public async ValueTask<byte[]?> GetSymlinkAsync(ulong inode)
    {
        await Task.Yield();
        return await inner.GetSymlinkAsync(inode);
    }

    public async ValueTask<byte[]?> GetXattrsAsync(ulong inode)
    {
        await Task.Yield();
        return await inner.GetXattrsAsync(inode);
    }

    public async ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name)
    {
        await Task.Yield();
        return await inner.GetVolumeAsync(name);
    }

    public async ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max)
    {
        await Task.Yield();
        return await inner.ListEntriesAsync(directory, afterCookie, max);
    }

    public async ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block)
    {
        await Task.Yield();
        return await inner.GetBlockAsync(inode, block);
    }

    public async ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock)
    {
        await Task.Yield();
        return await inner.ListBlocksAsync(inode, fromBlock);
    }

    public async ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment)
    {
        await Task.Yield();
        return await inner.GetSegmentAsync(segment);
    }

    public async ValueTask WaitDurableAsync(long position)
    {
        await Task.Yield();
        await inner.WaitDurableAsync(position);
    }

    public ValueTask OpenAsync(CancellationToken cancellationToken = default) => inner.OpenAsync(cancellationToken);
    public ulong AllocateInode() => inner.AllocateInode();
    public ulong MaxBlockVersion => inner.MaxBlockVersion;
    public ValueTask<IdRange> LeaseBlockVersionsAsync() => inner.LeaseBlockVersionsAsync();
    public ValueTask<Guid?> GetFilesystemIdAsync() => inner.GetFilesystemIdAsync();
    public ValueTask CheckpointAsync() => inner.CheckpointAsync();
    public int MaxConcurrentMutations => inner.MaxConcurrentMutations;
    public bool IsShared => inner.IsShared;
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
