namespace DittoFs.Storage.Metadata;

public enum MetadataOpKind : byte
{
    /// <summary>Insert or replace an inode image.</summary>
    PutInode = 1,
    /// <summary>Delete an inode (and its symlink target, if any).</summary>
    DeleteInode = 2,
    /// <summary>Insert or replace the entry (Directory, Name) → (Inode, Cookie).</summary>
    PutEntry = 3,
    /// <summary>Delete the entry (Directory, Name); Cookie says where it sits in the directory's pages.</summary>
    DeleteEntry = 4,
    /// <summary>Store the symlink target (Data) of Inode.</summary>
    PutSymlink = 5,
    /// <summary>Record that volume Name has id Volume and root Inode.</summary>
    PutVolume = 6,
    /// <summary>Record where block Block of Inode lives (the block map): BlockRecord.</summary>
    PutBlock = 7,
    /// <summary>Forget the blocks of Inode from index Block on (truncate, delete).</summary>
    DropBlocks = 8,
    /// <summary>Record the filesystem id (Data: 16 bytes) that ties this metadata to its bucket.</summary>
    PutFilesystemId = 9,
    /// <summary>Record segment object Block's live and total bytes (SegmentRecord); Live 0 forgets the segment.</summary>
    PutSegment = 10,
    /// <summary>
    /// Shared stores only (<see cref="IMetadataStore.IsShared"/>): directory Inode gains Cookie entries and
    /// Block links (two's complement deltas), its mtime and ctime become at least Record's mtime, its change
    /// id goes up by one; the batch fails if the directory is gone. A delta, so creators of one directory
    /// need not have read its latest image (no change-id precondition on the hot row).
    /// </summary>
    AddToDirectory = 11,
    /// <summary>Replace the extended attributes of Inode (Data: <see cref="Xattrs"/>' encoding; empty: none). DeleteInode removes them too.</summary>
    PutXattrs = 12,
    /// <summary>Forget the blocks of Inode in [Block, Cookie) (a punched hole); the file's other blocks stay.</summary>
    DropBlockRange = 13,
    /// <summary>
    /// Shared stores only (<see cref="IMetadataStore.IsShared"/>): segment Block's Live changes by Cookie (a two's
    /// complement delta) atomically in the store, so two servers naming or releasing bytes of one segment at once
    /// lose no count; at 0 or below the segment is forgotten (the caller then finds it gone: its object is garbage).
    /// An absent segment is created as SegmentRecord (plus the delta) when SegmentRecord.Live is above 0 (a first
    /// share); otherwise a positive delta on an absent segment fails the batch (its object may be deleted already).
    /// </summary>
    AddToSegment = 14,

    // Preconditions: checked by the store inside the batch's atomic apply, before any change; never
    // written to a WAL. One that does not hold makes ApplyAsync return MetadataConflict.Position with
    // nothing applied, and the filesystem re-reads and retries the whole operation (several servers on
    // one database each read before they write: what they read may have changed by then).

    /// <summary>The entry (Directory, Name) names Inode; Inode 0: there is no such entry.</summary>
    ExpectEntry = 32,
    /// <summary>Inode exists and its ChangeId is Cookie (every filesystem change of an inode bumps it).</summary>
    ExpectChangeId = 33,
    /// <summary>Directory Inode has no entries (RMDIR, rename over a directory).</summary>
    ExpectEmpty = 34,
    /// <summary>Volume Name has id Volume; Volume 0: there is no such volume.</summary>
    ExpectVolume = 35,
}

/// <summary>
/// One step of a mutation, carrying post-images only, so replaying a WAL
/// record twice gives the same state (idempotent recovery). A mutation is an
/// array of these applied as one WAL record.
/// </summary>
public readonly record struct MetadataOp
{
    public MetadataOpKind Kind { get; init; }
    public InodeRecord Record { get; init; }      // PutInode
    public ulong Inode { get; init; }             // DeleteInode, PutEntry, PutSymlink, PutVolume (root), PutBlock, DropBlocks
    public ulong Directory { get; init; }         // PutEntry, DeleteEntry
    public ulong Cookie { get; init; }            // PutEntry, DeleteEntry, DropBlockRange (end block, exclusive)
    public uint Volume { get; init; }             // PutVolume
    public byte[] Name { get; init; }             // PutEntry, DeleteEntry, PutVolume (UTF-8)
    public byte[] Data { get; init; }             // PutSymlink, PutFilesystemId, PutXattrs
    public ulong Block { get; init; }             // PutBlock, DropBlocks
    public BlockRecord BlockRecord { get; init; } // PutBlock
    public SegmentRecord SegmentRecord { get; init; } // PutSegment, AddToSegment (Block = segment id)

    public static MetadataOp PutInode(in InodeRecord record) => new() { Kind = MetadataOpKind.PutInode, Record = record, Name = [], Data = [] };
    public static MetadataOp DeleteInode(ulong inode) => new() { Kind = MetadataOpKind.DeleteInode, Inode = inode, Name = [], Data = [] };
    public static MetadataOp PutEntry(ulong directory, byte[] name, ulong inode, ulong cookie) => new() { Kind = MetadataOpKind.PutEntry, Directory = directory, Name = name, Inode = inode, Cookie = cookie, Data = [] };
    public static MetadataOp DeleteEntry(ulong directory, byte[] name, ulong cookie) => new() { Kind = MetadataOpKind.DeleteEntry, Directory = directory, Name = name, Cookie = cookie, Data = [] };
    public static MetadataOp PutSymlink(ulong inode, byte[] target) => new() { Kind = MetadataOpKind.PutSymlink, Inode = inode, Data = target, Name = [] };
    public static MetadataOp PutBlock(ulong inode, ulong block, in BlockRecord record) => new() { Kind = MetadataOpKind.PutBlock, Inode = inode, Block = block, BlockRecord = record, Name = [], Data = [] };
    public static MetadataOp DropBlocks(ulong inode, ulong fromBlock) => new() { Kind = MetadataOpKind.DropBlocks, Inode = inode, Block = fromBlock, Name = [], Data = [] };
    public static MetadataOp PutXattrs(ulong inode, byte[] encoded) => new() { Kind = MetadataOpKind.PutXattrs, Inode = inode, Data = encoded, Name = [] };
    public static MetadataOp DropBlockRange(ulong inode, ulong fromBlock, ulong toBlock) => new() { Kind = MetadataOpKind.DropBlockRange, Inode = inode, Block = fromBlock, Cookie = toBlock, Name = [], Data = [] };
    public static MetadataOp PutSegment(ulong segment, in SegmentRecord record) => new() { Kind = MetadataOpKind.PutSegment, Block = segment, SegmentRecord = record, Name = [], Data = [] };
    public static MetadataOp AddToSegment(ulong segment, long delta, in SegmentRecord createAs = default) =>
        new() { Kind = MetadataOpKind.AddToSegment, Block = segment, Cookie = unchecked((ulong)delta), SegmentRecord = createAs, Name = [], Data = [] };
    public static MetadataOp PutFilesystemId(Guid id) => new() { Kind = MetadataOpKind.PutFilesystemId, Data = id.ToByteArray(), Name = [] };
    public static MetadataOp PutVolume(byte[] name, uint volume, ulong rootInode) => new() { Kind = MetadataOpKind.PutVolume, Name = name, Volume = volume, Inode = rootInode, Data = [] };
    public static MetadataOp AddToDirectory(ulong directory, long entries, long links, Timestamp touched)
    {
        var at = default(InodeRecord);
        at.SetMtime(touched);
        return new() { Kind = MetadataOpKind.AddToDirectory, Inode = directory, Cookie = unchecked((ulong)entries), Block = unchecked((ulong)links), Record = at, Name = [], Data = [] };
    }

    public static MetadataOp ExpectEntry(ulong directory, byte[] name, ulong inode) => new() { Kind = MetadataOpKind.ExpectEntry, Directory = directory, Name = name, Inode = inode, Data = [] };
    public static MetadataOp ExpectChangeId(ulong inode, ulong changeId) => new() { Kind = MetadataOpKind.ExpectChangeId, Inode = inode, Cookie = changeId, Name = [], Data = [] };
    public static MetadataOp ExpectEmpty(ulong directory) => new() { Kind = MetadataOpKind.ExpectEmpty, Inode = directory, Name = [], Data = [] };
    public static MetadataOp ExpectVolume(byte[] name, uint volume) => new() { Kind = MetadataOpKind.ExpectVolume, Name = name, Volume = volume, Data = [] };

    /// <summary>A precondition, not a change.</summary>
    public bool IsPrecondition => Kind >= MetadataOpKind.ExpectEntry;
}

/// <summary>A directory entry as stored.</summary>
public readonly record struct EntryRecord(ulong Inode, ulong Cookie);

/// <summary>A volume as stored.</summary>
public readonly record struct VolumeRecord(uint Volume, ulong RootInode);
