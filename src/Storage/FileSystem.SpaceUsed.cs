using System.Collections.Concurrent;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// space_used (NFSv4 FATTR4_SPACE_USED, NFSv3 fattr3.used, st_blocks): the blocks that hold data, from the
// block map and the cache (what SEEK_DATA sees), so a sparse file, a punched hole or a truncate shows in du.
// Counting visits the file's blocks, so it is done only when a client asks for the value (GETATTR), and
// remembered per inode until its change id moves (every write, punch, truncate and clone moves it).
public sealed partial class FileSystem
{
    /// <summary>Inodes whose count is remembered; past it the memory starts over (a count is cheap to redo).</summary>
    private const int MaxCountedInodes = 16_384;

    private readonly ConcurrentDictionary<ulong, (uint Generation, ulong ChangeId, ulong Used)> _spaceUsed = new();

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
        if (_spaceUsed.TryGetValue(inode.Inode, out var known) && known.Generation == inode.Generation && known.ChangeId == inode.ChangeId) return known.Used;
        ulong bs = (ulong)_payload.BlockSize;
        IReadOnlyList<ulong> blocks = await _payload.ListDataBlocksAsync(inode.Inode, 0, BlockCount(inode.Size)).ConfigureAwait(false);
        ulong used = 0;
        foreach (ulong block in blocks)
        {
            ulong length = Math.Min(bs, inode.Size - block * bs);
            used += (length + SpaceUnit - 1) / SpaceUnit * SpaceUnit;
        }
        if (_spaceUsed.Count >= MaxCountedInodes) _spaceUsed.Clear();
        _spaceUsed[inode.Inode] = (inode.Generation, inode.ChangeId, used);
        return used;
    }
}
