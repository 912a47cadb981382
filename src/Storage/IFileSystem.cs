using System.Buffers;

namespace DittoFs.Storage;

/// <summary>
/// The protocol-neutral VFS the protocols call. Every method validates names
/// (no '/', no NUL, not empty, at most 255 bytes; "." and ".." are not real
/// entries here: the protocol resolves them), checks the caller's permission
/// from mode bits, uid, gid and supplementary gids (root bypasses read/write
/// checks but needs an x bit to execute), and reports failure as a status.
/// A mutation is durable (survives kill -9) before its task completes, except
/// Write with <see cref="StableHow.Unstable"/>, which becomes durable at Commit.
/// Names are raw bytes (UTF-8 by convention, never re-encoded).
/// </summary>
public interface IFileSystem : IAsyncDisposable
{
    /// <summary>Changes every time the server starts: unstable writes since then may be lost.</summary>
    ulong WriteVerifier { get; }

    /// <summary>The root directory of a volume (an export), created on first use. Volume ids are small and stable.</summary>
    ValueTask<FsResult<FileId>> GetVolumeRootAsync(string volumeName);

    ValueTask<FsResult<FileAttributes>> GetAttributesAsync(FileId file);

    /// <summary>
    /// <paramref name="countSpace"/>: SpaceUsed counts the blocks that hold data (holes, punched or never
    /// written, count nothing), which visits the file's blocks; otherwise it is the size rounded up.
    /// </summary>
    ValueTask<FsResult<FileAttributes>> GetAttributesAsync(FileId file, bool countSpace);

    /// <summary><paramref name="guardChangeTime"/>: fail with NotSync unless ctime equals it.</summary>
    ValueTask<SetAttrResult> SetAttributesAsync(Caller caller, FileId file, SetAttributes attributes, Timestamp? guardChangeTime = null);

    ValueTask<LookupResult> LookupAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name);

    /// <summary>The parent of a directory (for "..", LOOKUPP). The root's parent is itself.</summary>
    ValueTask<LookupResult> LookupParentAsync(Caller caller, FileId directory);

    ValueTask<AccessResult> AccessAsync(Caller caller, FileId file, AccessMask requested);

    ValueTask<ReadLinkResult> ReadLinkAsync(Caller caller, FileId file);

    /// <summary>Reads up to destination.Length bytes at offset; holes read as zeros.</summary>
    ValueTask<ReadResult> ReadAsync(Caller caller, FileId file, ulong offset, Memory<byte> destination);

    ValueTask<WriteResult> WriteAsync(Caller caller, FileId file, ulong offset, ReadOnlySequence<byte> data, StableHow stable);

    ValueTask<CreateResult> CreateAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, CreateRequest request);

    /// <summary>The file is open (NFSv4 OPEN state): when its last name goes, it stays with nlink 0 until <see cref="ReleaseAsync"/>.</summary>
    void Hold(FileId file);

    /// <summary>Its last open is gone: a held file that lost its last name is deleted now, with its bytes.</summary>
    ValueTask ReleaseAsync(FileId file);

    /// <summary>Unlinks a non-directory (REMOVE) or an empty directory (RMDIR when <paramref name="directory"/>).</summary>
    ValueTask<RemoveResult> RemoveAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, bool directoryOnly);

    ValueTask<RenameResult> RenameAsync(Caller caller, FileId fromDirectory, ReadOnlyMemory<byte> fromName, FileId toDirectory, ReadOnlyMemory<byte> toName);

    ValueTask<LinkResult> LinkAsync(Caller caller, FileId file, FileId directory, ReadOnlyMemory<byte> name);

    /// <summary>Up to <paramref name="maxEntries"/> entries with cookie &gt; <paramref name="cookie"/> (0 = from the start). A non-zero verifier that does not match gives BadCookie.</summary>
    ValueTask<ReadDirResult> ReadDirectoryAsync(Caller caller, FileId directory, ulong cookie, ulong verifier, int maxEntries);

    ValueTask<FsResult<FsStats>> GetStatsAsync(FileId file);

    // ---- NFSv4.2 (RFC 7862): sparse files; holes are whole payload blocks that hold nothing ----

    /// <summary>The first data (or hole) at or after offset; NoSuchAddress at or past the end, or when no data follows.</summary>
    ValueTask<SeekResult> SeekAsync(Caller caller, FileId file, ulong offset, bool data);

    /// <summary>Where [offset, offset + length) holds data, cut at the size (READ_PLUS).</summary>
    ValueTask<DataRangesResult> GetDataRangesAsync(Caller caller, FileId file, ulong offset, ulong length);

    /// <summary>fallocate: the file grows to offset + length (a hole); NoSpace when the store has not the room.</summary>
    ValueTask<SetAttrResult> AllocateAsync(Caller caller, FileId file, ulong offset, ulong length);

    /// <summary>Punches a hole (the size stays): whole blocks leave the block map, partial ones are zeroed.</summary>
    ValueTask<SetAttrResult> DeallocateAsync(Caller caller, FileId file, ulong offset, ulong length);

    // ---- extended attributes (RFC 8276), removed with the inode ----

    ValueTask<XattrResult> GetXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name);

    ValueTask<XattrListResult> ListXattrsAsync(Caller caller, FileId file);

    ValueTask<XattrChangeResult> SetXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name, ReadOnlyMemory<byte> value, XattrSetMode mode);

    /// <summary>NoData when there is no attribute of that name.</summary>
    ValueTask<XattrChangeResult> RemoveXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name);

    /// <summary>Makes the file's unstable writes and metadata durable (group commit: one fsync for all waiting).</summary>
    ValueTask<CommitResult> CommitAsync(FileId file, ulong offset, uint count);

    /// <summary>
    /// CLONE (<paramref name="aligned"/>: offsets block-aligned, count too unless it reaches the source's end, else
    /// Invalid) or COPY: <paramref name="count"/> bytes (0: to the source's end) of <paramref name="source"/> at
    /// <paramref name="sourceOffset"/> into <paramref name="destination"/> at <paramref name="destinationOffset"/>.
    /// Whole blocks at the same position within a block share the source's objects; the rest is copied. Durable on return.
    /// </summary>
    ValueTask<CloneResult> CloneAsync(Caller caller, FileId source, ulong sourceOffset, FileId destination, ulong destinationOffset, ulong count, bool aligned);

    /// <summary>The block size CLONE aligns to (FATTR4_CLONE_BLKSIZE).</summary>
    int CloneBlockSize => 0;
}
