namespace DittoFs.Storage.Cache;

/// <summary>One block of one file as the cache knows it. Every field is guarded by the cache's lock.</summary>
internal sealed class BlockState(ulong inode, ulong block)
{
    public readonly ulong Inode = inode;
    public readonly ulong Block = block;

    // The object that holds the block's last upload (Version 0 = none), with its CRC-32C and length.
    public ulong Version;
    public uint Crc;
    public int Length;
    // Packed: the block is bytes [Offset, Offset + Length) of segment Version.
    public bool Packed;
    public long Offset;
    // Shared (CLONE): the whole object Version may be named by other blocks too; it is OriginInode/OriginBlock/Version.
    public bool Shared;
    public ulong OriginInode;
    public ulong OriginBlock;
    /// <summary>One past the highest byte written to the block file (an estimate: truncation does not lower it), to size segments.</summary>
    public int Extent;

    /// <summary>A block file exists in the disk tier (and counts against the size limit).</summary>
    public bool Local;
    /// <summary>Bytes the block file counts against the size limit while Local: its extent, rounded up.</summary>
    public long Charged;
    /// <summary>The block file is newer than the object: it must be uploaded and is never evicted.</summary>
    public bool Dirty;
    /// <summary>The block map holds a dirty record for this block, applied after an fsync of the file.</summary>
    public bool DirtyJournaled;
    /// <summary>Written since the last fsync of the block file.</summary>
    public bool Unsynced;
    /// <summary>The block file was created since its fan-out directory was last fsynced.</summary>
    public bool NewName;
    /// <summary>The block's last byte was written: a sequential writer has finished it.</summary>
    public bool Complete;
    /// <summary>Complete, and the writer has gone on to the next block: upload it now, without waiting for it to settle.</summary>
    public bool Passed;
    /// <summary>Downloaded by read-ahead and not read since: a hit when a reader gets it, wasted if it is dropped unread.</summary>
    public bool Prefetched;
    public bool Uploading;
    /// <summary>Truncated or deleted: whatever is in flight for it is garbage.</summary>
    public bool Dropped;
    /// <summary>Upload without waiting for it to settle: found dirty at start-up, or a COMMIT (Durability=Bucket) waits for it.</summary>
    public bool UploadNow;
    /// <summary>The block map says a newer, committed copy was in the cache, and it is gone: the block's bytes are lost.</summary>
    public bool Lost;

    /// <summary>
    /// The file's change id moved since this clean copy was checked (another server may have replaced the
    /// block): its next lookup compares it with the block map's record first (BlockCache.Coherence.cs).
    /// </summary>
    public bool Unverified;

    /// <summary>Bumped by every write; an upload that saw an older value leaves the block dirty.</summary>
    public long Gen;
    /// <summary>The generation the last successful upload saw (-1: none this run), for a drain waiting on it.</summary>
    public long UploadedGen = -1;
    /// <summary>
    /// Uploads whose block-map record is applied but not yet durable: until it is, the block file stays
    /// out of the clean LRU (a crash would bring back the old record, which needs the file) and no
    /// COMMIT counts the upload as done.
    /// </summary>
    public int PendingRecords;
    public long LastWrite;
    /// <summary>
    /// Writes between PrepareWrite and FinishWrite: an upload that ends meanwhile read the file
    /// before (or during) the write, so the block stays dirty even though Gen has not moved yet.
    /// </summary>
    public int Writers;
    /// <summary>Readers using the block file (it cannot be evicted meanwhile).</summary>
    public int Readers;
    /// <summary>The download in flight, which every reader of the missing block awaits.</summary>
    public Task? Loading;
    /// <summary>Node in the clean LRU list when Local and not Dirty.</summary>
    public LinkedListNode<BlockState>? Lru;
}
