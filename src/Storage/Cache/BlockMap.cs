using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Cache;

/// <summary>
/// The block map as the cache uses it: block records in the metadata store, read and changed
/// under the cache's lock, so the order of map changes is the order of the cache's own state
/// transitions (an upload's record can never land after the drop of its block). The embedded
/// store answers reads and applies synchronously (a WAL enqueue and a KV upsert); durability is
/// awaited outside the lock, through the same group-committed WAL as the file's size and times.
/// </summary>
internal sealed class BlockMap(IMetadataStore store)
{
    public BlockRecord? Get(ulong inode, ulong block) => Wait(store.GetBlockAsync(inode, block));

    public IReadOnlyList<BlockEntry> List(ulong inode, ulong fromBlock) => Wait(store.ListBlocksAsync(inode, fromBlock));

    /// <summary>The records of blocks [fromBlock, toBlock): one round trip to a database.</summary>
    public IReadOnlyList<BlockEntry> ListRange(ulong inode, ulong fromBlock, ulong toBlock) => Wait(store.ListBlockRangeAsync(inode, fromBlock, toBlock));

    /// <summary>Applies the ops (visible to reads at once); returns the WAL position to wait for.</summary>
    public long Apply(params MetadataOp[] ops) => Wait(store.ApplyAsync(ops));

    public ValueTask WaitDurableAsync(long position) => position == 0 ? ValueTask.CompletedTask : store.WaitDurableAsync(position);

    /// <summary>The highest object version any record ever named.</summary>
    public ulong MaxVersion => store.MaxBlockVersion;

    /// <summary>Object ids from a store several servers share (None: number them here, above <see cref="MaxVersion"/>).</summary>
    public ValueTask<IdRange> LeaseVersionsAsync() => store.LeaseBlockVersionsAsync();

    public static MetadataOp Put(BlockState st, bool dirty) =>
        MetadataOp.PutBlock(st.Inode, st.Block, new BlockRecord(st.Version, st.Crc, st.Length, dirty, st.Packed, st.Offset, st.Shared, st.OriginInode, st.OriginBlock));

    public SegmentRecord? GetSegment(ulong segment) => Wait(store.GetSegmentAsync(segment));

    private static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
