using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// Read-only namespace operations: no lock, point reads only.
public sealed partial class FileSystem
{
    public async ValueTask<LookupResult> LookupAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name)
    {
        try
        {
            var (status, dir) = await LoadAsync(directory).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new LookupResult(status, default, null);
            if (dir.Type != FileType.Directory) return new LookupResult(FsStatus.NotDirectory, default, ToAttributes(dir));
            status = Names.ValidateComponent(name.Span);
            if (status != FsStatus.Ok) return new LookupResult(status, default, ToAttributes(dir));
            if (!Permissions.Allows(caller, dir, Permissions.Exec)) return new LookupResult(FsStatus.Access, default, ToAttributes(dir));

            if (Names.IsDot(name.Span)) return new LookupResult(FsStatus.Ok, ToAttributes(dir), ToAttributes(dir));
            if (Names.IsDotDot(name.Span)) return await ParentOfAsync(dir).ConfigureAwait(false);

            EntryRecord? entry = await _store.GetEntryAsync(dir.Inode, name).ConfigureAwait(false);
            if (entry is not { } e) return new LookupResult(FsStatus.NotFound, default, ToAttributes(dir));
            InodeRecord? child = await _store.GetInodeAsync(e.Inode).ConfigureAwait(false);
            // Raced with a remove between the two reads.
            if (child is not { } c) return new LookupResult(FsStatus.NotFound, default, ToAttributes(dir));
            return new LookupResult(FsStatus.Ok, ToAttributes(c), ToAttributes(dir));
        }
        catch (IOException e)
        {
            return new LookupResult(MapException(e), default, null);
        }
    }

    public async ValueTask<LookupResult> LookupParentAsync(Caller caller, FileId directory)
    {
        try
        {
            var (status, dir) = await LoadAsync(directory).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new LookupResult(status, default, null);
            if (dir.Type != FileType.Directory) return new LookupResult(FsStatus.NotDirectory, default, ToAttributes(dir));
            if (!Permissions.Allows(caller, dir, Permissions.Exec)) return new LookupResult(FsStatus.Access, default, ToAttributes(dir));
            return await ParentOfAsync(dir).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return new LookupResult(MapException(e), default, null);
        }
    }

    /// <summary>".." of a directory; a volume root is its own parent, so ".." never leaves the volume.</summary>
    private async ValueTask<LookupResult> ParentOfAsync(InodeRecord dir)
    {
        if (dir.Parent == dir.Inode) return new LookupResult(FsStatus.Ok, ToAttributes(dir), ToAttributes(dir));
        InodeRecord? parent = await _store.GetInodeAsync(dir.Parent).ConfigureAwait(false);
        if (parent is not { } p || p.Volume != dir.Volume) return new LookupResult(FsStatus.Stale, default, ToAttributes(dir));
        return new LookupResult(FsStatus.Ok, ToAttributes(p), ToAttributes(dir));
    }

    public async ValueTask<AccessResult> AccessAsync(Caller caller, FileId file, AccessMask requested)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new AccessResult(status, AccessMask.None, null);
            return new AccessResult(FsStatus.Ok, requested & Permissions.Grant(caller, inode), ToAttributes(inode));
        }
        catch (IOException e)
        {
            return new AccessResult(MapException(e), AccessMask.None, null);
        }
    }

    public async ValueTask<ReadLinkResult> ReadLinkAsync(Caller caller, FileId file)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new ReadLinkResult(status, [], null);
            // knfsd (and RFC 1813) answer INVAL for a non-symlink.
            if (inode.Type != FileType.Symlink) return new ReadLinkResult(FsStatus.Invalid, [], ToAttributes(inode));
            byte[]? target = await _store.GetSymlinkAsync(inode.Inode).ConfigureAwait(false);
            return target is null
                ? new ReadLinkResult(FsStatus.IoError, [], ToAttributes(inode))
                : new ReadLinkResult(FsStatus.Ok, target, ToAttributes(inode));
        }
        catch (IOException e)
        {
            return new ReadLinkResult(MapException(e), [], null);
        }
    }

    public async ValueTask<ReadDirResult> ReadDirectoryAsync(Caller caller, FileId directory, ulong cookie, ulong verifier, int maxEntries)
    {
        try
        {
            var (status, dir) = await LoadAsync(directory).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new ReadDirResult(status, [], false, 0, null);
            if (dir.Type != FileType.Directory) return new ReadDirResult(FsStatus.NotDirectory, [], false, 0, ToAttributes(dir));
            if (!Permissions.Allows(caller, dir, Permissions.Read)) return new ReadDirResult(FsStatus.Access, [], false, 0, ToAttributes(dir));

            // Cookies are stable for the directory's whole life, so one verifier per directory is correct.
            ulong dirVerifier = DirectoryVerifier(dir);
            if (cookie != 0 && verifier != 0 && verifier != dirVerifier)
            {
                return new ReadDirResult(FsStatus.BadCookie, [], false, dirVerifier, ToAttributes(dir));
            }

            // Ask for one more than wanted so Eof is exact: true iff nothing follows the last returned entry.
            int want = Math.Max(maxEntries, 0);
            IReadOnlyList<DirEntryRecord> page = await _store.ListEntriesAsync(dir.Inode, cookie, want + 1).ConfigureAwait(false);
            bool eof = page.Count <= want;
            int take = Math.Min(page.Count, want);
            var entries = new List<DirEntry>(take);
            for (int i = 0; i < take; i++)
            {
                DirEntryRecord record = page[i];
                InodeRecord? child = await _store.GetInodeAsync(record.Inode).ConfigureAwait(false);
                if (child is not { } c) continue; // removed since the page was read
                entries.Add(new DirEntry(record.Cookie, record.Name, IdOf(c)));
            }
            return new ReadDirResult(FsStatus.Ok, entries, eof, dirVerifier, ToAttributes(dir));
        }
        catch (IOException e)
        {
            return new ReadDirResult(MapException(e), [], false, 0, null);
        }
    }

    private static ulong DirectoryVerifier(in InodeRecord dir)
    {
        ulong v = (ulong)dir.Generation << 32 ^ dir.Inode * 0x9E3779B97F4A7C15UL;
        return v == 0 ? 1 : v;
    }
}
