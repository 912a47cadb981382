using System.Buffers;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// SEEK, ALLOCATE, DEALLOCATE and the data map READ_PLUS answers from (RFC 7862). Holes are whole
// payload blocks that hold nothing (never written, or punched): a block written with zeros stays data.
public sealed partial class FileSystem
{
    /// <summary>
    /// lseek(SEEK_DATA / SEEK_HOLE) as knfsd answers it: at or past the end, or no data after the offset,
    /// NoSuchAddress (ENXIO); the end of the file is a hole (the offset is then the size, with Eof).
    /// </summary>
    public async ValueTask<SeekResult> SeekAsync(Caller caller, FileId file, ulong offset, bool data)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status == FsStatus.Ok) status = DataStatus(inode);
            if (status == FsStatus.Ok && !Permissions.AllowsData(caller, inode, Permissions.Read, _options.OwnerOverride)) status = FsStatus.Access;
            if (status == FsStatus.Ok && offset >= inode.Size) status = FsStatus.NoSuchAddress;
            if (status != FsStatus.Ok) return new SeekResult(status, 0, false);

            ulong bs = (ulong)_payload.BlockSize;
            ulong first = offset / bs;
            IReadOnlyList<ulong> blocks = await _payload.ListDataBlocksAsync(inode.Inode, first, BlockCount(inode.Size)).ConfigureAwait(false);
            if (data)
            {
                return blocks.Count == 0
                    ? new SeekResult(FsStatus.NoSuchAddress, 0, false)
                    : new SeekResult(FsStatus.Ok, Math.Max(offset, blocks[0] * bs), false);
            }
            ulong hole = first;
            foreach (ulong block in blocks)
            {
                if (block != hole) break;
                hole++;
            }
            ulong at = Math.Max(offset, hole * bs);
            return at >= inode.Size ? new SeekResult(FsStatus.Ok, inode.Size, true) : new SeekResult(FsStatus.Ok, at, false);
        }
        catch (IOException e)
        {
            return new SeekResult(MapException(e), 0, false);
        }
    }

    /// <summary>The data in [offset, offset + length) cut at the size, as merged ranges (READ_PLUS's segments).</summary>
    public async ValueTask<DataRangesResult> GetDataRangesAsync(Caller caller, FileId file, ulong offset, ulong length)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status == FsStatus.Ok) status = DataStatus(inode);
            if (status == FsStatus.Ok && !Permissions.AllowsData(caller, inode, Permissions.Read, _options.OwnerOverride)) status = FsStatus.Access;
            if (status != FsStatus.Ok) return new DataRangesResult(status, [], 0);
            ulong end = Math.Min(inode.Size, offset + Math.Min(length, ulong.MaxValue - offset));
            var ranges = new List<(ulong Offset, ulong Length)>();
            if (offset >= end) return new DataRangesResult(FsStatus.Ok, ranges, inode.Size);

            ulong bs = (ulong)_payload.BlockSize;
            IReadOnlyList<ulong> blocks = await _payload.ListDataBlocksAsync(inode.Inode, offset / bs, BlockCount(end)).ConfigureAwait(false);
            foreach (ulong block in blocks)
            {
                ulong start = Math.Max(offset, block * bs);
                ulong stop = Math.Min(end, (block + 1) * bs);
                if (ranges.Count > 0 && ranges[^1].Offset + ranges[^1].Length == start) ranges[^1] = (ranges[^1].Offset, stop - ranges[^1].Offset);
                else ranges.Add((start, stop - start));
            }
            return new DataRangesResult(FsStatus.Ok, ranges, inode.Size);
        }
        catch (IOException e)
        {
            return new DataRangesResult(MapException(e), [], 0);
        }
    }

    /// <summary>
    /// fallocate(mode 0): the file grows to offset + length as a hole (nothing is written; the space is
    /// counted through the size); NoSpace when the payload store has not that much room left.
    /// </summary>
    public ValueTask<SetAttrResult> AllocateAsync(Caller caller, FileId file, ulong offset, ulong length) =>
        RetryOnConflictAsync(() => AllocateOnceAsync(caller, file, offset, length), new SetAttrResult(FsStatus.Delay, default));

    private async ValueTask<SetAttrResult> AllocateOnceAsync(Caller caller, FileId file, ulong offset, ulong length)
    {
        try
        {
            SemaphoreSlim stripe = StripeOf(file.Inode);
            await stripe.WaitAsync().ConfigureAwait(false);
            try
            {
                var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                if (status == FsStatus.Ok) status = CheckRange(caller, inode, offset, length);
                if (status != FsStatus.Ok) return new SetAttrResult(status, status == FsStatus.Stale ? default : Unchanged(inode));
                ulong size = Math.Max(inode.Size, offset + length);
                if (size == inode.Size) return new SetAttrResult(FsStatus.Ok, Unchanged(inode));
                if (size - inode.Size > _payload.GetCapacity().Free) return new SetAttrResult(FsStatus.NoSpace, Unchanged(inode));
                return await ChangeContentAsync(file, size).ConfigureAwait(false);
            }
            finally
            {
                stripe.Release();
            }
        }
        catch (IOException e)
        {
            return new SetAttrResult(MapException(e), default);
        }
    }

    /// <summary>
    /// fallocate(PUNCH_HOLE | KEEP_SIZE): whole blocks inside the range leave the block map in one batch
    /// (their objects become garbage by the usual rules); the partial blocks at its ends are zeroed by an
    /// ordinary write where they hold data. The size never changes; past the end there is nothing to punch.
    /// </summary>
    public ValueTask<SetAttrResult> DeallocateAsync(Caller caller, FileId file, ulong offset, ulong length) =>
        RetryOnConflictAsync(() => DeallocateOnceAsync(caller, file, offset, length), new SetAttrResult(FsStatus.Delay, default));

    private async ValueTask<SetAttrResult> DeallocateOnceAsync(Caller caller, FileId file, ulong offset, ulong length)
    {
        try
        {
            SemaphoreSlim stripe = StripeOf(file.Inode);
            await stripe.WaitAsync().ConfigureAwait(false);
            try
            {
                var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                if (status == FsStatus.Ok) status = CheckRange(caller, inode, offset, length);
                if (status != FsStatus.Ok) return new SetAttrResult(status, status == FsStatus.Stale ? default : Unchanged(inode));
                ulong end = Math.Min(inode.Size, offset + length);
                if (offset >= end) return new SetAttrResult(FsStatus.Ok, Unchanged(inode));

                ulong bs = (ulong)_payload.BlockSize;
                ulong firstWhole = (offset + bs - 1) / bs;
                // Up to the end of the file the last block goes whole: nothing past the size is kept anyway.
                ulong endWhole = end == inode.Size ? BlockCount(end) : end / bs;
                if (firstWhole >= endWhole)
                {
                    await ZeroAsync(inode.Inode, offset, end).ConfigureAwait(false);
                }
                else
                {
                    await ZeroAsync(inode.Inode, offset, firstWhole * bs).ConfigureAwait(false);
                    await ZeroAsync(inode.Inode, endWhole * bs, end).ConfigureAwait(false);
                    await _payload.PunchAsync(inode.Inode, firstWhole, endWhole).ConfigureAwait(false);
                    ForgetSpace(inode.Inode);
                }
                await _payload.FlushAsync(inode.Inode).ConfigureAwait(false);
                return await ChangeContentAsync(file, inode.Size).ConfigureAwait(false);
            }
            finally
            {
                stripe.Release();
            }
        }
        catch (IOException e)
        {
            return new SetAttrResult(MapException(e), default);
        }
    }

    /// <summary>ALLOCATE / DEALLOCATE: a regular file the caller may write, a range inside the largest file.</summary>
    private FsStatus CheckRange(in Caller caller, in InodeRecord inode, ulong offset, ulong length)
    {
        FsStatus status = DataStatus(inode);
        if (status != FsStatus.Ok) return status;
        if (!Permissions.AllowsData(caller, inode, Permissions.Write, _options.OwnerOverride)) return FsStatus.Access;
        if (length == 0) return FsStatus.Invalid;
        if (offset > FsLimits.MaxFileSize || length > FsLimits.MaxFileSize - offset) return FsStatus.FileTooBig;
        return FsStatus.Ok;
    }

    /// <summary>Zeros written over [from, to) of one block, if that block holds data (a hole reads as zeros already).</summary>
    private async ValueTask ZeroAsync(ulong inode, ulong from, ulong to)
    {
        if (from >= to) return;
        ulong bs = (ulong)_payload.BlockSize;
        if ((await _payload.ListDataBlocksAsync(inode, from / bs, from / bs + 1).ConfigureAwait(false)).Count == 0) return;
        int count = (int)(to - from);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            Array.Clear(zeros, 0, count);
            await _payload.WriteAsync(inode, from, new ReadOnlySequence<byte>(zeros, 0, count)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    /// <summary>The new size (or the same) with mtime and ctime now, durable on return; the caller holds the file's stripe.</summary>
    private async ValueTask<SetAttrResult> ChangeContentAsync(FileId file, ulong size)
    {
        long position;
        WccData wcc;
        using (await LockAsync(file.Inode).ConfigureAwait(false))
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new SetAttrResult(status, default);
            InodeRecord updated = inode;
            updated.Size = size;
            TouchContent(ref updated, Timestamp.Now());
            position = await ApplyAsync([MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId), MetadataOp.PutInode(updated)]).ConfigureAwait(false);
            wcc = Wcc(inode, updated);
        }
        await _store.WaitDurableAsync(position).ConfigureAwait(false);
        return new SetAttrResult(FsStatus.Ok, wcc);
    }

    private ulong BlockCount(ulong size)
    {
        ulong bs = (ulong)_payload.BlockSize;
        return size / bs + (size % bs == 0 ? 0UL : 1UL);
    }
}
