using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>What a restore found and replayed.</summary>
public sealed record RestoreResult(string Chain, long Covered, long Requires, long WalEnd, long SnapshotRecords, int Segments, long Batches, long Bytes);

/// <summary>
/// Rebuilds a data directory's metadata from the bucket alone: the manifest's snapshot, then every
/// shipped WAL batch at or after the address it covers, in address order (idempotent, as in
/// recovery), then a checkpoint. The chain must be whole: segments contiguous from the snapshot to
/// at least the address the snapshot requires, or the restore fails and writes nothing usable.
/// </summary>
public static class MetadataRestore
{
    /// <summary>True if the bucket holds a shipped metadata store.</summary>
    public static async Task<bool> ExistsAsync(IObjectStore bucket, CancellationToken cancellationToken = default)
    {
        await foreach (var o in bucket.ListAsync(ShipFormat.ManifestKey, cancellationToken).ConfigureAwait(false))
        {
            if (o.Key == ShipFormat.ManifestKey) return true;
        }
        return false;
    }

    /// <summary>True if the data directory holds no metadata store (restore may write it).</summary>
    public static bool IsEmpty(string dataDirectory)
    {
        string metadata = Path.Combine(dataDirectory, "metadata");
        return !Directory.Exists(metadata) || !Directory.EnumerateFileSystemEntries(metadata).Any();
    }

    /// <param name="options">The store to create (its Shipping is ignored: a restore ships nothing).</param>
    /// <param name="force">Replace an existing metadata store (it is deleted first) instead of refusing.</param>
    public static async Task<RestoreResult> RestoreAsync(IObjectStore bucket, FasterMetadataStoreOptions options, bool force, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsEmpty(options.DataDirectory))
        {
            if (!force) throw new InvalidOperationException($"{options.MetadataDirectory} is not empty: refusing to restore over it (force to replace it)");
            Directory.Delete(options.MetadataDirectory, recursive: true);
        }

        var listed = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var o in bucket.ListAsync(ShipFormat.Root, cancellationToken).ConfigureAwait(false)) listed[o.Key] = o.Size;
        if (!listed.TryGetValue(ShipFormat.ManifestKey, out long manifestSize))
            throw new InvalidOperationException("the bucket holds no shipped metadata (no meta/manifest)");
        var manifest = ShipFormat.DecodeManifest(await GetAsync(bucket, ShipFormat.ManifestKey, manifestSize, cancellationToken).ConfigureAwait(false));

        // The segments of the chain that reach past the snapshot, in order, checked for gaps.
        var segments = new List<(long From, long To, string Key)>();
        foreach (var key in listed.Keys)
        {
            if (ShipFormat.TryParseSegmentKey(key, manifest.Chain, out long from, out long to) && to > manifest.Covered) segments.Add((from, to, key));
        }
        segments.Sort((a, b) => a.From.CompareTo(b.From));
        long end = manifest.Covered;
        foreach (var (from, to, _) in segments)
        {
            if (from > end) throw new InvalidDataException($"the shipped WAL has a gap: {ShipFormat.Hex(end)} to {ShipFormat.Hex(from)} is missing");
            end = Math.Max(end, to);
        }
        if (end < manifest.Requires)
            throw new InvalidDataException($"the shipped WAL ends at {ShipFormat.Hex(end)}, before {ShipFormat.Hex(manifest.Requires)} the snapshot needs");

        var local = new FasterMetadataStoreOptions
        {
            DataDirectory = options.DataDirectory,
            KvMemorySize = options.KvMemorySize,
            KvPageSize = options.KvPageSize,
            KvIndexSize = options.KvIndexSize,
            KvSegmentSize = options.KvSegmentSize,
            WalSegmentSize = options.WalSegmentSize,
            CompactMinLogBytes = options.CompactMinLogBytes,
            WalPageSize = options.WalPageSize,
            WalMemorySize = options.WalMemorySize,
            CheckpointInterval = TimeSpan.Zero,
            CheckpointWalBytes = long.MaxValue,
            DirectoryPageSize = options.DirectoryPageSize,
            ReserveBytes = options.ReserveBytes,
        };
        long records = 0, batches = 0, bytes = 0;
        var store = new FasterMetadataStore(local);
        try
        {
            await store.OpenAsync(cancellationToken).ConfigureAwait(false);
            for (int part = 0; part < manifest.Parts; part++)
            {
                string key = ShipFormat.SnapshotPartKey(manifest.Chain, manifest.Covered, part);
                if (!listed.TryGetValue(key, out long size)) throw new InvalidDataException($"snapshot part {key} is missing");
                byte[] data = await GetAsync(bucket, key, size, cancellationToken).ConfigureAwait(false);
                bytes += data.Length;
                long covered = ShipFormat.DecodeSnapshotPart(data, (k, v) =>
                {
                    store.RestoreRecord(k, v);
                    records++;
                });
                if (covered != manifest.Covered) throw new InvalidDataException($"snapshot part {key} covers {covered}, the manifest says {manifest.Covered}");
            }

            store.MigrateDirectoryPagesAfterRestore(); // a snapshot of a layout-1 store carries pages
            long next = manifest.Covered; // records below it are in the snapshot; overlapping segments are skipped past
            foreach (var (_, _, key) in segments)
            {
                byte[] data = await GetAsync(bucket, key, listed[key], cancellationToken).ConfigureAwait(false);
                bytes += data.Length;
                var decoded = ShipFormat.DecodeSegment(data, out _, out long to);
                foreach (var record in decoded)
                {
                    if (record.Address < next) continue;
                    store.RestoreBatch(record.Bytes);
                    batches++;
                }
                next = Math.Max(next, to);
            }
            await store.CheckpointAsync().ConfigureAwait(false);
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
        return new RestoreResult(manifest.Chain, manifest.Covered, manifest.Requires, end, records, segments.Count, batches, bytes);
    }

    private static async Task<byte[]> GetAsync(IObjectStore bucket, string key, long size, CancellationToken cancellationToken)
    {
        var data = new byte[checked((int)size)];
        int read = 0;
        while (read < data.Length)
        {
            int n = await bucket.GetAsync(key, read, data.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n <= 0) throw new InvalidDataException($"{key} is shorter than listed");
            read += n;
        }
        return data;
    }
}
