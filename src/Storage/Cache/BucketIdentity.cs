using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Cache;

/// <summary>
/// Ties a metadata store to the bucket/prefix holding its blocks, so a server never reads or
/// deletes objects that belong to other metadata. A filesystem id is recorded in the metadata and
/// under <see cref="Key"/> on first start; afterwards both must agree. Metadata without an id (a new
/// or wiped data directory) over a bucket that already holds our objects is refused: its empty
/// block map would make every object look like garbage.
/// </summary>
internal static class BucketIdentity
{
    public const string Key = "meta/filesystem-id";
    private const int IdLength = 36; // Guid "D" format

    /// <summary>Returns the id both sides now agree on, creating it if neither has one; throws <see cref="StorageRefusedException"/> otherwise.</summary>
    public static async Task<(Guid Id, string What)> VerifyAsync(IObjectStore objects, IMetadataStore metadata, bool legacyCache, CancellationToken cancellationToken)
    {
        Guid? mine = await metadata.GetFilesystemIdAsync().ConfigureAwait(false);
        Guid? theirs = await ReadAsync(objects, cancellationToken).ConfigureAwait(false);
        switch (mine, theirs)
        {
            case ({ } m, { } b) when m == b:
                return (m, "metadata and bucket agree");
            case ({ } m, { } b):
                throw new StorageRefusedException($"the data directory's metadata belongs to filesystem {m}, but the bucket/prefix holds filesystem {b}: point DittoFs:S3 at the bucket/prefix of {m}, or restore {b} into an empty data directory");
            case (null, { } b):
                throw new StorageRefusedException($"the data directory has no metadata, but the bucket/prefix holds filesystem {b}: restore it first (dittofs restore), or use another bucket/prefix; nothing was deleted");
            case ({ } m, null):
                // A new (or emptied) prefix, or the first start ended before the id reached the bucket.
                await WriteAsync(objects, m, cancellationToken).ConfigureAwait(false);
                return (m, "id written to the bucket");
        }
        if (!legacyCache && await HoldsBlocksAsync(objects, cancellationToken).ConfigureAwait(false))
        {
            throw new StorageRefusedException("the bucket/prefix holds DittoFs block objects but no filesystem id, and the data directory's metadata is new: refusing to start (restore the metadata, or use an empty bucket/prefix); nothing was deleted");
        }
        Guid id = Guid.NewGuid();
        long position = await metadata.ApplyAsync([MetadataOp.PutFilesystemId(id)]).ConfigureAwait(false);
        await metadata.WaitDurableAsync(position).ConfigureAwait(false);
        await WriteAsync(objects, id, cancellationToken).ConfigureAwait(false);
        return (id, legacyCache ? "adopted by a cache directory from before filesystem ids" : "new filesystem");
    }

    /// <summary>The id under <see cref="Key"/>, or null if there is none.</summary>
    public static async Task<Guid?> ReadAsync(IObjectStore objects, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[IdLength + 1];
        int got;
        try
        {
            got = await objects.GetAsync(Key, 0, buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        if (got != IdLength || !Guid.TryParseExact(System.Text.Encoding.ASCII.GetString(buffer, 0, got), "D", out Guid id))
        {
            throw new StorageRefusedException($"the bucket/prefix object {Key} is not a filesystem id ({got} bytes): refusing to use this bucket/prefix");
        }
        return id;
    }

    private static Task WriteAsync(IObjectStore objects, Guid id, CancellationToken cancellationToken)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(id.ToString("D"));
        return objects.PutAsync(Key, bytes, Crc32C.Compute(bytes), cancellationToken);
    }

    private static async Task<bool> HoldsBlocksAsync(IObjectStore objects, CancellationToken cancellationToken)
    {
        await foreach (ObjectInfo o in objects.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            if (ObjectKeys.TryParse(o.Key, out _, out _, out _) || ObjectKeys.TryParseSegment(o.Key, out _)) return true;
        }
        return false;
    }
}
