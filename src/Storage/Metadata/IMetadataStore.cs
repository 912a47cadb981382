namespace DittoFs.Storage.Metadata;

/// <summary>
/// The narrow contract under the filesystem: point reads, and mutations that
/// are batches of <see cref="MetadataOp"/> (the WAL's operation records).
/// FASTER is the embedded implementation; an in-memory one serves unit tests;
/// a distributed SQL engine could apply the same batches transactionally.
///
/// The caller (the filesystem) serialises most conflicting mutations of one server by locking the
/// inodes they touch, but not all (WRITE and SETATTR take a stripe, changes by delta lock no
/// directory, and other servers share no lock): every store checks a batch's preconditions
/// atomically with its apply and refuses it if one fails. The store
/// applies each batch atomically with respect to crashes (all or nothing after
/// recovery) and makes it visible to reads as soon as ApplyAsync returns.
/// Durability is separate: <see cref="WaitDurableAsync"/> completes when the
/// batch's WAL record is on disk; many waiters share one flush (group commit).
/// </summary>
public interface IMetadataStore : IAsyncDisposable
{
    /// <summary>Recovers state (checkpoint + WAL replay) and starts background work. Called once before anything else.</summary>
    ValueTask OpenAsync(CancellationToken cancellationToken = default);

    /// <summary>A fresh inode number, never handed out before by this store (survives restarts).</summary>
    ulong AllocateInode();

    ValueTask<InodeRecord?> GetInodeAsync(ulong inode);

    ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name);

    ValueTask<byte[]?> GetSymlinkAsync(ulong inode);

    /// <summary>The extended attributes of an inode in <see cref="Xattrs"/>' encoding; null if it has none.</summary>
    ValueTask<byte[]?> GetXattrsAsync(ulong inode);

    ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name);

    /// <summary>
    /// Up to <paramref name="max"/> entries of a directory with cookie greater than <paramref name="afterCookie"/>,
    /// in cookie order, without scanning the whole store (directories are pages of entries).
    /// </summary>
    ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max);

    /// <summary>Where block <paramref name="block"/> of a file lives; null if the block map has no record (a hole).</summary>
    ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block);

    /// <summary>The block-map records of a file from block <paramref name="fromBlock"/> on, in block order (point reads, no scan).</summary>
    ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock);

    /// <summary>
    /// The block-map records of blocks [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) of a file, in block
    /// order: what a read of several blocks asks, in one round trip where the store is a database (the default is point reads).
    /// </summary>
    async ValueTask<IReadOnlyList<BlockEntry>> ListBlockRangeAsync(ulong inode, ulong fromBlock, ulong toBlock)
    {
        var list = new List<BlockEntry>();
        for (ulong b = fromBlock; b < toBlock; b++)
        {
            if (await GetBlockAsync(inode, b).ConfigureAwait(false) is { } record) list.Add(new BlockEntry(b, record));
        }
        return list;
    }

    /// <summary>The record of segment object <paramref name="segment"/>; null once nothing names it (or never recorded).</summary>
    ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment);

    /// <summary>The highest object version any block record ever named (0: none), so new versions never reuse one.</summary>
    ulong MaxBlockVersion { get; }

    /// <summary>
    /// Fresh object versions and segment ids for a store that several servers share: a range no server was
    /// ever given before (a database sequence), so two servers never name the same object.
    /// <see cref="IdRange.None"/>: the store is one server's own, which numbers objects itself above
    /// <see cref="MaxBlockVersion"/>.
    /// </summary>
    ValueTask<IdRange> LeaseBlockVersionsAsync() => ValueTask.FromResult(IdRange.None);

    /// <summary>The filesystem id recorded by <see cref="MetadataOpKind.PutFilesystemId"/>; null for a new store.</summary>
    ValueTask<Guid?> GetFilesystemIdAsync();

    /// <summary>
    /// Applies a mutation; returns its WAL position for <see cref="WaitDurableAsync"/>. The store keeps
    /// no reference to <paramref name="ops"/> once the returned task completed: the caller reuses the array.
    /// </summary>
    ValueTask<long> ApplyAsync(MetadataOp[] ops);

    /// <summary>Completes when every mutation up to <paramref name="position"/> is durable.</summary>
    ValueTask WaitDurableAsync(long position);

    /// <summary>Takes a checkpoint now (also done periodically) and truncates the WAL up to it.</summary>
    ValueTask CheckpointAsync();

    /// <summary>
    /// How many mutations the filesystem may have read-and-apply in flight at once; 0: no bound (the
    /// embedded stores read and apply in memory, and only the inodes a change touches are locked). A
    /// database store bounds them by its connection pool, so that waiting changes queue in the filesystem
    /// and not for a connection halfway through their reads.
    /// </summary>
    int MaxConcurrentMutations => 0;

    /// <summary>
    /// Several servers may share this store (a database): a server's cached file bytes must be checked
    /// against the block map, and what it makes durable must be announced by a change of the file's
    /// change id and mtime, so other servers' clients revalidate (close-to-open).
    /// </summary>
    bool IsShared => false;
}

/// <summary>Ids <see cref="First"/> to <see cref="First"/> + <see cref="Count"/> - 1.</summary>
public readonly record struct IdRange(ulong First, ulong Count)
{
    public static IdRange None => default;
}

public readonly record struct DirEntryRecord(ulong Cookie, byte[] Name, ulong Inode);
