using System.Buffers;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// CLONE / COPY (NFSv4.2): whole blocks share the source's objects, edges are copied.
public sealed partial class FileSystem
{
    /// <summary>The most bytes copied through one buffer at a time (edges, dirty blocks, unaligned copies).</summary>
    private const int CopyChunk = 1024 * 1024;

    public int CloneBlockSize => _payload.BlockSize;

    public async ValueTask<CloneResult> CloneAsync(Caller caller, FileId source, ulong sourceOffset, FileId destination, ulong destinationOffset, ulong count, bool aligned)
    {
        if (source.Volume != destination.Volume) return new CloneResult(FsStatus.CrossDevice, 0, 0, default);
        // Both stripes, in index order (a write to either waits; no deadlock with another clone the other way).
        ulong a = source.Inode % StripeCount, b = destination.Inode % StripeCount;
        SemaphoreSlim first = _stripes[(int)Math.Min(a, b)], second = _stripes[(int)Math.Max(a, b)];
        await first.WaitAsync().ConfigureAwait(false);
        if (second != first) await second.WaitAsync().ConfigureAwait(false);
        try
        {
            return await CloneLockedAsync(caller, source, sourceOffset, destination, destinationOffset, count, aligned).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return new CloneResult(MapException(e), 0, 0, default);
        }
        finally
        {
            if (second != first) second.Release();
            first.Release();
        }
    }

    private async ValueTask<CloneResult> CloneLockedAsync(Caller caller, FileId source, ulong sourceOffset, FileId destination, ulong destinationOffset, ulong count, bool aligned)
    {
        var (status, src) = await LoadAsync(source).ConfigureAwait(false);
        if (status != FsStatus.Ok) return new CloneResult(status, 0, 0, default);
        (status, InodeRecord dst) = await LoadAsync(destination).ConfigureAwait(false);
        if (status != FsStatus.Ok) return new CloneResult(status, 0, 0, default);
        status = DataStatus(src);
        if (status == FsStatus.Ok) status = DataStatus(dst);
        if (status == FsStatus.Ok && !Permissions.AllowsData(caller, src, Permissions.Read, _options.OwnerOverride)) status = FsStatus.Access;
        if (status == FsStatus.Ok && !Permissions.AllowsData(caller, dst, Permissions.Write, _options.OwnerOverride)) status = FsStatus.Access;
        // RFC 7862 §15.2.3, §15.13.3: a range past the source's end is INVAL; count 0 means to the end.
        if (status == FsStatus.Ok && sourceOffset > src.Size) status = FsStatus.Invalid;
        if (status == FsStatus.Ok && count == 0) count = src.Size - sourceOffset;
        if (status == FsStatus.Ok && count > src.Size - sourceOffset) status = FsStatus.Invalid;
        if (status == FsStatus.Ok && (destinationOffset > FsLimits.MaxFileSize || count > FsLimits.MaxFileSize - destinationOffset)) status = FsStatus.FileTooBig;
        ulong bs = (ulong)_payload.BlockSize;
        bool toEnd = sourceOffset + count == src.Size;
        if (status == FsStatus.Ok && aligned && (sourceOffset % bs != 0 || destinationOffset % bs != 0 || (count % bs != 0 && !toEnd))) status = FsStatus.Invalid;
        // The same file: overlapping ranges are INVAL (§15.13.3).
        if (status == FsStatus.Ok && src.Inode == dst.Inode && count > 0
            && sourceOffset < destinationOffset + count && destinationOffset < sourceOffset + count) status = FsStatus.Invalid;
        if (status != FsStatus.Ok) return new CloneResult(status, 0, 0, Unchanged(dst));
        if (count == 0) return new CloneResult(FsStatus.Ok, 0, 0, Unchanged(dst));

        ulong end = destinationOffset + count;
        ulong shared = 0;
        ulong done = 0;
        if (sourceOffset % bs == destinationOffset % bs)
        {
            // Head up to a block boundary, whole blocks shared, tail copied, except that the source's last
            // (short) block is shared whole when nothing of the destination lies past it in that block.
            ulong head = Math.Min(count, (bs - sourceOffset % bs) % bs);
            await CopyBytesAsync(src.Inode, sourceOffset, dst.Inode, destinationOffset, head).ConfigureAwait(false);
            done = head;
            ulong blocks = (count - head) / bs;
            ulong tail = (count - head) % bs;
            bool shareTail = tail > 0 && toEnd && end >= dst.Size;
            if (shareTail) blocks++;
            if (blocks > 0)
            {
                ulong srcBlock = (sourceOffset + head) / bs, dstBlock = (destinationOffset + head) / bs;
                List<ulong>? unshared = await _payload.CloneBlocksAsync(src.Inode, srcBlock, dst.Inode, dstBlock, blocks).ConfigureAwait(false);
                ForgetSpace(dst.Inode);
                ulong span = Math.Min(blocks * bs, count - head);
                ulong copied = 0;
                if (unshared is null)
                {
                    await CopyBytesAsync(src.Inode, sourceOffset + head, dst.Inode, destinationOffset + head, span).ConfigureAwait(false);
                    copied = span;
                }
                else
                {
                    foreach (ulong i in unshared)
                    {
                        ulong at = i * bs;
                        ulong n = Math.Min(bs, span - at);
                        await CopyBytesAsync(src.Inode, sourceOffset + head + at, dst.Inode, destinationOffset + head + at, n).ConfigureAwait(false);
                        copied += n;
                    }
                }
                shared = span - copied;
                done += span;
            }
        }
        await CopyBytesAsync(src.Inode, sourceOffset + done, dst.Inode, destinationOffset + done, count - done).ConfigureAwait(false);
        _options.Metrics?.FileWritten((long)(count - shared));

        long position;
        WccData wcc;
        using (await LockAsync(destination.Inode).ConfigureAwait(false))
        {
            InodeRecord before;
            (status, before) = await LoadAsync(destination).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new CloneResult(status, 0, 0, default);
            InodeRecord updated = before;
            updated.Size = Math.Max(before.Size, end);
            if (!caller.IsRoot) updated.Mode = Permissions.WithoutPrivileges(updated.Mode);
            TouchContent(ref updated, Timestamp.Now());
            position = await ApplyAsync([MetadataOp.ExpectChangeId(before.Inode, before.ChangeId), MetadataOp.PutInode(updated)]).ConfigureAwait(false);
            wcc = Wcc(before, updated);
        }
        // Durable on return, like a FILE_SYNC write: the shared blocks' records already are.
        await _payload.FlushAsync(dst.Inode).ConfigureAwait(false);
        await _store.WaitDurableAsync(position).ConfigureAwait(false);
        return new CloneResult(FsStatus.Ok, count, shared, wcc);
    }

    private async ValueTask CopyBytesAsync(ulong src, ulong sourceOffset, ulong dst, ulong destinationOffset, ulong count)
    {
        if (count == 0) return;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(count, CopyChunk));
        try
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, (ulong)buffer.Length);
                await _payload.ReadAsync(src, sourceOffset, buffer.AsMemory(0, n)).ConfigureAwait(false);
                await _payload.WriteAsync(dst, destinationOffset, new ReadOnlySequence<byte>(buffer, 0, n)).ConfigureAwait(false);
                sourceOffset += (ulong)n;
                destinationOffset += (ulong)n;
                count -= (ulong)n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
