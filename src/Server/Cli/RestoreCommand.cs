using DittoFs.Server.Admin;
using DittoFs.Server.Options;
using DittoFs.Storage.Metadata.Shipping;

namespace DittoFs.Server.Cli;

/// <summary>
/// <c>dittofs restore</c>: rebuilds the data directory's metadata from the bucket alone (the
/// shipped snapshot and the WAL after it), for a new instance after the old one was lost. Refuses a
/// data directory that already has metadata unless <c>--force</c>; needs the server stopped.
/// 0 restored, 1 could not.
/// </summary>
internal static class RestoreCommand
{
    public static async Task<int> RunAsync(DittoFsOptions options, string? dataDirectoryOption, bool force, CancellationToken ct)
    {
        string dataDirectory = Path.GetFullPath(dataDirectoryOption ?? options.DataDirectory);
        if (!options.MetadataStore.Equals("faster", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"dittofs restore: restores the Faster metadata store (configured: {options.MetadataStore})");
            return 1;
        }
        if (string.IsNullOrEmpty(options.S3.Bucket))
        {
            Console.Error.WriteLine("dittofs restore: no bucket configured (DittoFs:S3:Bucket and the rest of DittoFs:S3)");
            return 1;
        }
        if (!force && !MetadataRestore.IsEmpty(dataDirectory))
        {
            Console.Error.WriteLine($"dittofs restore: {dataDirectory} already holds metadata; use --force to replace it");
            return 1;
        }
        Directory.CreateDirectory(dataDirectory);
        DataDirectoryLock directoryLock;
        try
        {
            directoryLock = DataDirectoryLock.Acquire(dataDirectory);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"dittofs restore: {e.Message} Stop the server first.");
            return 1;
        }
        using (directoryLock)
        {
            await using var bucket = StorageHost.NewObjectStore(options, metrics: null);
            try
            {
                RestoreResult r = await MetadataRestore.RestoreAsync(bucket, StorageHost.MetadataStoreOptions(options, dataDirectory, metrics: null), force, ct);
                Console.WriteLine($"restored {dataDirectory} from s3://{options.S3.Bucket}/{options.S3.Prefix}meta/ (chain {r.Chain}): " +
                    $"snapshot of {r.SnapshotRecords} records at {r.Covered}, {r.Batches} WAL batches from {r.Segments} segments up to {r.WalEnd}, {ProgressBar.Bytes(r.Bytes)} read");
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
            {
                Console.Error.WriteLine($"dittofs restore: {e.Message}");
                return 1;
            }
        }
    }
}
