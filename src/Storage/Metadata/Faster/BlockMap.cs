using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

// The block map: one fixed-size record per (inode, block), plus a per-inode extent (one past the
// highest block recorded) so a truncate or a listing visits only blocks that may exist, by point
// reads. The highest object version ever recorded is kept too, so versions are never reused.
public sealed partial class FasterMetadataStore
{
    private ulong _maxBlockVersion; // written under _applyLock (or during recovery)

    public ulong MaxBlockVersion => Volatile.Read(ref _maxBlockVersion);

    public ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block)
    {
        ThrowIfNotOpen();
        return ValueTask.FromResult(ReadBlock(inode, block));
    }

    public ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock) => ListBlockRangeAsync(inode, fromBlock, ulong.MaxValue);

    /// <summary>Point reads up to the file's extent: in-process, as cheap per block as a scan would be.</summary>
    public ValueTask<IReadOnlyList<BlockEntry>> ListBlockRangeAsync(ulong inode, ulong fromBlock, ulong toBlock)
    {
        ThrowIfNotOpen();
        var list = new List<BlockEntry>();
        ulong end = Math.Min(ReadBlockExtent(inode), toBlock);
        for (ulong b = fromBlock; b < end; b++)
        {
            if (ReadBlock(inode, b) is { } record) list.Add(new BlockEntry(b, record));
        }
        return ValueTask.FromResult<IReadOnlyList<BlockEntry>>(list);
    }

    public ValueTask<Guid?> GetFilesystemIdAsync()
    {
        ThrowIfNotOpen();
        Span<byte> key = stackalloc byte[Keys.SlotKeySize];
        Span<byte> value = stackalloc byte[16];
        return ValueTask.FromResult<Guid?>(Kv.Read(Keys.Slot(key, Keys.FilesystemIdSlot), value) == 16 ? new Guid(value) : null);
    }

    public ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment)
    {
        ThrowIfNotOpen();
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        Span<byte> value = stackalloc byte[SegmentRecord.Size];
        int n = Kv.Read(Keys.Segment(key, segment), value);
        if (n < 0) return ValueTask.FromResult<SegmentRecord?>(null);
        if (n != SegmentRecord.Size) throw new InvalidDataException($"Corrupt segment record {segment}");
        return ValueTask.FromResult<SegmentRecord?>(BlockValue.ReadSegment(value));
    }

    private BlockRecord? ReadBlock(ulong inode, ulong block)
    {
        Span<byte> key = stackalloc byte[Keys.BlockKeySize];
        Span<byte> value = stackalloc byte[BlockRecord.MaxSize];
        int n = Kv.Read(Keys.Block(key, inode, block), value);
        if (n < 0) return null;
        if (n != BlockRecord.Size && n != BlockRecord.PackedSize && n != BlockRecord.SharedSize) throw new InvalidDataException($"Corrupt block record {inode}/{block}");
        return BlockValue.Read(value[..n]);
    }

    private void ApplyPutSegment(ulong segment, in SegmentRecord record)
    {
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        if (record.Live <= 0)
        {
            // Reading first, as for blocks: a delete of an absent key would still append a tombstone.
            Span<byte> old = stackalloc byte[SegmentRecord.Size];
            if (Kv.Read(Keys.Segment(key, segment), old) >= 0) Kv.Delete(Keys.Segment(key, segment));
            return;
        }
        Span<byte> value = stackalloc byte[SegmentRecord.Size];
        BlockValue.WriteSegment(value, record);
        Kv.Upsert(Keys.Segment(key, segment), value);
        RaiseMaxBlockVersion(segment);
    }

    private ulong ReadBlockExtent(ulong inode)
    {
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        Span<byte> value = stackalloc byte[8];
        return Kv.Read(Keys.BlockExtent(key, inode), value) == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }

    private void WriteBlockExtent(ulong inode, ulong end)
    {
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, end);
        if (end == 0) Kv.Delete(Keys.BlockExtent(key, inode));
        else Kv.Upsert(Keys.BlockExtent(key, inode), value);
    }

    private void ApplyPutBlock(ulong inode, ulong block, in BlockRecord record)
    {
        Span<byte> key = stackalloc byte[Keys.BlockKeySize];
        Span<byte> value = stackalloc byte[BlockRecord.MaxSize];
        BlockValue.Write(value, record);
        Kv.Upsert(Keys.Block(key, inode, block), value[..record.EncodedSize]);
        if (block >= ReadBlockExtent(inode)) WriteBlockExtent(inode, block + 1);
        RaiseMaxBlockVersion(record.Version);
    }

    private void RaiseMaxBlockVersion(ulong version)
    {
        if (version <= _maxBlockVersion) return;
        Volatile.Write(ref _maxBlockVersion, version);
        Span<byte> slotKey = stackalloc byte[Keys.SlotKeySize];
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, version);
        Kv.Upsert(Keys.Slot(slotKey, Keys.MaxBlockVersionSlot), value);
    }

    private void ApplyDropBlocks(ulong inode, ulong fromBlock)
    {
        ulong end = ReadBlockExtent(inode);
        if (fromBlock >= end) return;
        Span<byte> key = stackalloc byte[Keys.BlockKeySize];
        Span<byte> value = stackalloc byte[BlockRecord.MaxSize];
        for (ulong b = fromBlock; b < end; b++)
        {
            // Deleting a key that is not there would still append a tombstone: read first.
            if (Kv.Read(Keys.Block(key, inode, b), value) >= 0) Kv.Delete(Keys.Block(key, inode, b));
        }
        // Blocks first, extent last: a checkpoint cut between them leaves an extent too large, never too small.
        WriteBlockExtent(inode, fromBlock);
    }

    /// <summary>A punched hole: the records of [fromBlock, toBlock) go; the extent stays (blocks past the hole remain).</summary>
    private void ApplyDropBlockRange(ulong inode, ulong fromBlock, ulong toBlock)
    {
        ulong end = Math.Min(ReadBlockExtent(inode), toBlock);
        Span<byte> key = stackalloc byte[Keys.BlockKeySize];
        Span<byte> value = stackalloc byte[BlockRecord.PackedSize];
        for (ulong b = fromBlock; b < end; b++)
        {
            if (Kv.Read(Keys.Block(key, inode, b), value) >= 0) Kv.Delete(Keys.Block(key, inode, b));
        }
    }

    private void RecoverMaxBlockVersion()
    {
        Span<byte> key = stackalloc byte[Keys.SlotKeySize];
        Span<byte> value = stackalloc byte[8];
        _maxBlockVersion = Kv.Read(Keys.Slot(key, Keys.MaxBlockVersionSlot), value) == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }
}
