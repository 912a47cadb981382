using System.Collections.Concurrent;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// space_used (NFSv4 FATTR4_SPACE_USED, NFSv3 fattr3.used, st_blocks): the blocks that hold data, from the
// block map and the cache (what SEEK_DATA sees), so a sparse file, a punched hole or a truncate shows in du.
// Counting visits the file's blocks, so it is done only when a client asks for the value (GETATTR), and
// remembered per inode until its change id moves. A file counted dense stays so while its size does: a
// write only adds data, and what takes blocks away (punch, truncate, clone over it) forgets the count.
public sealed partial class FileSystem
{
    /// <summary>Inodes whose count is remembered; past it the memory starts over (a count is cheap to redo).</summary>
    private const int MaxCountedInodes = 16_384;

    private readonly ConcurrentDictionary<ulong, SpaceCount> _spaceUsed = new();

    /// <summary>A count of an inode's space at one change id and size; Used = ulong.MaxValue: forgotten (blocks went meanwhile).</summary>
    private readonly record struct SpaceCount(uint Generation, ulong ChangeId, ulong Size, ulong Used);

    public async ValueTask<FsResult<FileAttributes>> GetAttributesAsync(FileId file, bool countSpace)
    {
        if (!countSpace) return await GetAttributesAsync(file).ConfigureAwait(false);
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return status;
            FileAttributes attributes = ToAttributes(inode);
            if (inode.Type != FileType.Regular) return new FsResult<FileAttributes>(FsStatus.Ok, attributes);
            return new FsResult<FileAttributes>(FsStatus.Ok, attributes with { SpaceUsed = await CountSpaceAsync(inode).ConfigureAwait(false) });
        }
        catch (IOException e)
        {
            return MapException(e);
        }
    }

    /// <summary>
    /// Bytes of the blocks that hold data, each cut at the size and rounded up to <see cref="SpaceUnit"/>:
    /// a dense file counts as its size rounded up, a hole (never written, allocated or punched) as nothing.
    /// </summary>
    private async ValueTask<ulong> CountSpaceAsync(InodeRecord inode)
    {
        if (inode.Size == 0) return 0;
        ulong dense = (inode.Size + SpaceUnit - 1) / SpaceUnit * SpaceUnit;
        bool had = _spaceUsed.TryGetValue(inode.Inode, out SpaceCount known);
        if (had && known.Used != ulong.MaxValue && known.Generation == inode.Generation
            && (known.ChangeId == inode.ChangeId || (!_store.IsShared && known.Size == inode.Size && known.Used == dense)))
        {
            return known.Used;
        }
        ulong bs = (ulong)_payload.BlockSize;
        IReadOnlyList<ulong> blocks = await _payload.ListDataBlocksAsync(inode.Inode, 0, BlockCount(inode.Size)).ConfigureAwait(false);
        ulong used = 0;
        foreach (ulong block in blocks)
        {
            ulong length = Math.Min(bs, inode.Size - block * bs);
            used += (length + SpaceUnit - 1) / SpaceUnit * SpaceUnit;
        }
        if (_spaceUsed.Count >= MaxCountedInodes) _spaceUsed.Clear();
        // Only over what was there when counting began: a punch or clone that forgot the count meanwhile wins.
        var count = new SpaceCount(inode.Generation, inode.ChangeId, inode.Size, used);
        if (had) _spaceUsed.TryUpdate(inode.Inode, count, known);
        else _spaceUsed.TryAdd(inode.Inode, count);
        return used;
    }

    /// <summary>After blocks of the file went (punch, truncate) or were replaced (clone): its count is recounted.</summary>
    private void ForgetSpace(ulong inode) => _spaceUsed[inode] = new SpaceCount(0, 0, 0, ulong.MaxValue);
}
