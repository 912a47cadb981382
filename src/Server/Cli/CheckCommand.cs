using DittoFs.Server.Admin;
using DittoFs.Server.Exports;
using DittoFs.Server.Options;
using DittoFs.Storage;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Payload;

namespace DittoFs.Server.Cli;

/// <summary>
/// <c>dittofs check</c>: opens the data directory (FASTER metadata; local
/// blocks, or the S3 block cache's map plus a listing of the bucket) with the server stopped, and runs <see cref="StoreChecker"/> over the
/// configured exports. 0 clean, 2 damage, 1 could not check.
/// </summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(DittoFsOptions options, string? dataDirectoryOption, string[]? exportsOption, bool json, CancellationToken ct)
    {
        string dataDirectory = Path.GetFullPath(dataDirectoryOption ?? options.DataDirectory);
        if (!Directory.Exists(Path.Combine(dataDirectory, "metadata")))
        {
            Console.Error.WriteLine($"dittofs check: no metadata under {dataDirectory}");
            return 1;
        }
        // The directory says which payload store it holds (not the configuration, which may be another server's).
        StoreManifest? manifest;
        IReadOnlyList<string> served;
        try
        {
            manifest = StoreManifest.Read(dataDirectory);
            // The exports the server would serve: the configured ones with exports.json's runtime changes.
            served = ExportCatalog.ServedVolumes(options.Exports.Count > 0 ? options.Exports : [new ExportOptions { Path = "/export" }], dataDirectory);
        }
        catch (StorageRefusedException e)
        {
            Console.Error.WriteLine($"dittofs check: {e.Message}");
            return 1;
        }
        bool s3 = manifest is null ? options.PayloadStore.Equals("s3", StringComparison.OrdinalIgnoreCase) : manifest.PayloadStore.Equals("s3", StringComparison.OrdinalIgnoreCase);
        if (s3)
        {
            if (string.IsNullOrWhiteSpace(options.S3.Bucket))
            {
                string where = manifest?.Bucket is { Length: > 0 } bucket ? $" (bucket {bucket}, prefix '{manifest.Prefix}')" : "";
                Console.Error.WriteLine($"dittofs check: {dataDirectory} holds an S3 payload store{where}: set DittoFs__S3__Bucket, DittoFs__S3__Endpoint and the credentials (as for the server) to check it");
                return 1;
            }
            if (manifest is { BlockSize: > 0 }) options.Cache.BlockSize = manifest.BlockSize; // block numbers mean what they meant when written
        }
        DataDirectoryLock directoryLock;
        try
        {
            directoryLock = DataDirectoryLock.Acquire(dataDirectory);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"dittofs check: {e.Message} Stop the server first.");
            return 1;
        }
        using (directoryLock)
        {
            string[] volumes = exportsOption is { Length: > 0 }
                ? [.. exportsOption.Select(ExportTable.NormalizePath)]
                : [.. served];
            await using var metadata = new FasterMetadataStore(new FasterMetadataStoreOptions { DataDirectory = dataDirectory, CheckpointInterval = TimeSpan.Zero });
            await metadata.OpenAsync(ct);
            if (exportsOption is { Length: > 0 })
            {
                // An export asked for by name that the metadata never had is a mistake, not a clean check.
                foreach (string volume in volumes)
                {
                    if (await metadata.GetVolumeAsync(System.Text.Encoding.UTF8.GetBytes(volume)) is null)
                    {
                        Console.Error.WriteLine($"dittofs check: no export {volume} in {dataDirectory}");
                        return 1;
                    }
                }
            }
            // S3: the block map says which object holds each block; a block is present if that object is listed (or it is dirty in the cache).
            await using IPayloadStore payload = s3
                ? await StorageHost.OpenS3Async(options, dataDirectory, metadata, metrics: null, logger: null, background: false, cancellationToken: ct)
                : new LocalPayloadStore(new LocalPayloadStoreOptions
                {
                    Root = Path.Combine(dataDirectory, "blocks"),
                    // Replay a journal the server left; never create one (check writes nothing).
                    JournalBytes = File.Exists(Path.Combine(dataDirectory, "blocks", "data.journal")) ? new FileInfo(Path.Combine(dataDirectory, "blocks", "data.journal")).Length : 0,
                });

            ProgressBar bar = json ? ProgressBar.Silent : ProgressBar.ForStandardError();
            var progress = new SyncProgress<CheckProgress>(p =>
                bar.Update(p.Done, p.Total, p.Phase == "metadata" ? $"walking metadata: {p.Done} entries" : $"verifying blocks: {p.Done}/{p.Total} files"));
            CheckReport report = await new StoreChecker(metadata, (IBlockInventory)payload, payload.BlockSize).RunAsync(volumes, progress, ct);
            bar.Update(1, 1, "done", final: true);

            int damage = report.Findings.Count(f => f.Damage);
            if (json)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                {
                    volumes,
                    directories = report.Directories,
                    files = report.Files,
                    blocks = report.Blocks,
                    damage,
                    findings = report.Findings.Select(f => new { damage = f.Damage, path = f.Path, message = f.Message }),
                }));
                return damage == 0 ? 0 : 2;
            }
            foreach (CheckFinding finding in report.Findings)
            {
                Console.WriteLine($"{(finding.Damage ? "DAMAGE " : "note   ")} {finding.Path}: {finding.Message}");
            }
            Console.WriteLine($"checked {string.Join(", ", volumes)}: {report.Directories} directories, {report.Files} files, {report.Blocks} blocks; " +
                (damage == 0 ? "no damage" : $"{damage} problems"));
            return damage == 0 ? 0 : 2;
        }
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
