using DittoFs.Server.Exports;
using DittoFs.Server.Options;
using DittoFs.Storage;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Metadata.Shipping;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Payload.S3;
using Microsoft.Extensions.Options;

namespace DittoFs.Server;

/// <summary>Opens the configured stores and the filesystem on them, and resolves the exports to volumes.</summary>
internal sealed class StorageHost(IOptions<DittoFsOptions> options, StorageMetrics metrics, ILoggerFactory? loggers = null) : IAsyncDisposable
{
    private FileSystem? _fileSystem;
    private ExportCatalog? _exports;
    private Admin.DataDirectoryLock? _lock;
    private IObjectStore? _metadataBucket;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _exports is not null;

    /// <summary>Completes once the stores are open and the exports resolved (RPC connections wait for it).</summary>
    public Task Ready => _ready.Task;

    /// <summary>What opening is doing now, for /readyz while not ready.</summary>
    public string Phase { get; private set; } = "starting";

    /// <summary>
    /// Test hook (documented in the README's operations section): DITTOFS_TEST_RECOVERY_DELAY_MS makes
    /// recovery take at least this long, so a test can watch /readyz say "recovering".
    /// </summary>
    private static int TestRecoveryDelayMs =>
        int.TryParse(Environment.GetEnvironmentVariable("DITTOFS_TEST_RECOVERY_DELAY_MS"), out int ms) && ms > 0 ? ms : 0;

    public IFileSystem FileSystem => _fileSystem ?? throw new InvalidOperationException("storage is not open");

    public ExportTable Exports => (_exports ?? throw new InvalidOperationException("storage is not open")).Current;

    /// <summary>The exports and their runtime changes (the admin API); <see cref="Exports"/> is its current table.</summary>
    public ExportCatalog ExportCatalog => _exports ?? throw new InvalidOperationException("storage is not open");

    /// <summary>The payload store (for the admin endpoints: flush, gc, readiness); null until open.</summary>
    public IPayloadStore? Payload { get; private set; }

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        DittoFsOptions o = options.Value;
        string dataDirectory = Path.GetFullPath(o.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        _lock = Admin.DataDirectoryLock.Acquire(dataDirectory); // one server (or `dittofs check`) per data directory
        // What the directory was made with must match the configuration before anything is opened.
        StoreManifest? recorded = Persistent(o) ? StoreManifest.Read(dataDirectory) : null;
        StoreManifest configured = ConfiguredManifest(o);
        recorded?.Verify(dataDirectory, configured);

        if (TestRecoveryDelayMs > 0)
        {
            Phase = "test delay (DITTOFS_TEST_RECOVERY_DELAY_MS)";
            await Task.Delay(TestRecoveryDelayMs, cancellationToken);
        }
        Phase = "opening metadata (checkpoint and WAL replay)";
        IMetadataStore metadata = o.MetadataStore.ToLowerInvariant() switch
        {
            "memory" => new InMemoryMetadataStore(),
            "faster" => await OpenFasterAsync(o, dataDirectory, cancellationToken),
            "postgres" => new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = o.Postgres.ResolveConnectionString() }),
            _ => throw new InvalidOperationException($"unknown MetadataStore '{o.MetadataStore}' (Faster, Postgres or Memory)"),
        };
        // Metadata first: the S3 payload store's block map lives in it.
        await metadata.OpenAsync(cancellationToken);
        IPayloadStore payload;
        Phase = $"opening the {o.PayloadStore} payload store";
        try
        {
            payload = o.PayloadStore.ToLowerInvariant() switch
            {
                "memory" => new InMemoryPayloadStore(),
                "local" => new LocalPayloadStore(new LocalPayloadStoreOptions
                {
                    Root = Path.Combine(dataDirectory, "blocks"),
                    JournalBytes = (long)o.DataJournalMiB << 20,
                    Metrics = metrics,
                    ReserveBytes = o.DiskReserveBytes,
                    Logger = loggers?.CreateLogger("DittoFs.Storage.Payload"),
                }),
                "s3" => await OpenS3Async(o, dataDirectory, metadata, metrics, loggers?.CreateLogger("DittoFs.Storage.Cache"), cancellationToken: cancellationToken),
                _ => throw new InvalidOperationException($"unknown PayloadStore '{o.PayloadStore}' (Local, S3 or Memory)"),
            };
        }
        catch
        {
            await metadata.DisposeAsync();
            throw;
        }
        Payload = payload;
        if (Persistent(o))
        {
            StoreManifest now = configured with { FilesystemId = await metadata.GetFilesystemIdAsync() ?? recorded?.FilesystemId };
            try
            {
                now.Verify(dataDirectory, now);
                recorded?.Verify(dataDirectory, now);
                if (now != recorded) now.Write(dataDirectory);
            }
            catch
            {
                await payload.DisposeAsync();
                await metadata.DisposeAsync();
                throw;
            }
        }
        _fileSystem = new Storage.FileSystem(metadata, payload, new FileSystemOptions { OwnerOverride = true, Metrics = metrics });
        Phase = "freeing files a crash left open and unlinked";
        await _fileSystem.SweepOrphansAsync();
        Phase = "resolving exports";
        _exports = await ExportCatalog.OpenAsync(_fileSystem, o.Exports, dataDirectory);
        Phase = "ready";
        _ready.TrySetResult();
    }

    /// <summary>Only a Faster metadata store with a Local or S3 payload store leaves data behind to describe.</summary>
    private static bool Persistent(DittoFsOptions o) =>
        o.MetadataStore.Equals("Faster", StringComparison.OrdinalIgnoreCase) && !o.PayloadStore.Equals("Memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>What this configuration would make: the store type and block size (Local: the local store's fixed block size).</summary>
    internal static StoreManifest ConfiguredManifest(DittoFsOptions o) =>
        o.PayloadStore.Equals("S3", StringComparison.OrdinalIgnoreCase)
            ? new StoreManifest("S3", o.Cache.BlockSize, Bucket: o.S3.Bucket, Prefix: o.S3.Prefix)
            : new StoreManifest("Local", new LocalPayloadStoreOptions { Root = "" }.BlockSize);

    /// <summary>
    /// The Faster store, shipping to the bucket when configured; restored from it first if asked
    /// (DittoFs:Metadata:RestoreFromBucket) and the data directory has no metadata yet.
    /// </summary>
    private async Task<FasterMetadataStore> OpenFasterAsync(DittoFsOptions o, string dataDirectory, CancellationToken cancellationToken)
    {
        bool ship = ShipsMetadata(o);
        if (ship || o.Metadata.RestoreFromBucket) _metadataBucket = NewObjectStore(o, metrics);
        var storeOptions = MetadataStoreOptions(o, dataDirectory, metrics, loggers?.CreateLogger("DittoFs.Storage.Metadata"));
        if (o.Metadata.RestoreFromBucket && MetadataRestore.IsEmpty(dataDirectory) && await MetadataRestore.ExistsAsync(_metadataBucket!, cancellationToken))
        {
            await MetadataRestore.RestoreAsync(_metadataBucket!, storeOptions, force: false, cancellationToken);
        }
        if (!ship) return new FasterMetadataStore(storeOptions);
        return new FasterMetadataStore(new FasterMetadataStoreOptions
        {
            DataDirectory = storeOptions.DataDirectory,
            Metrics = storeOptions.Metrics,
            ReserveBytes = storeOptions.ReserveBytes,
            Logger = storeOptions.Logger,
            Shipping = new ShippingOptions
            {
                Store = _metadataBucket!,
                Interval = TimeSpan.FromMilliseconds(o.Metadata.ShipIntervalMs),
                SnapshotWalBytes = (long)o.Metadata.SnapshotWalMiB << 20,
                SnapshotInterval = TimeSpan.FromMinutes(o.Metadata.SnapshotIntervalMinutes),
            },
        });
    }

    /// <summary>Metadata:Ship, or by default whenever the blocks are in a bucket: a lost instance must not lose the map of them.</summary>
    internal static bool ShipsMetadata(DittoFsOptions o) =>
        o.Metadata.Ship ?? (o.PayloadStore.Equals("S3", StringComparison.OrdinalIgnoreCase) && !o.MetadataStore.Equals("Postgres", StringComparison.OrdinalIgnoreCase));

    internal static FasterMetadataStoreOptions MetadataStoreOptions(DittoFsOptions o, string dataDirectory, StorageMetrics? metrics, ILogger? logger = null) =>
        new() { DataDirectory = dataDirectory, Metrics = metrics, ReserveBytes = o.DiskReserveBytes / 4, Logger = logger };

    /// <summary>The configured bucket (DittoFs:S3), keys under its prefix.</summary>
    internal static S3ObjectStore NewObjectStore(DittoFsOptions o, StorageMetrics? metrics)
    {
        if (string.IsNullOrEmpty(o.S3.Bucket)) throw new InvalidOperationException("the bucket is not configured (DittoFs:S3:Bucket)");
        return new S3ObjectStore(new S3ObjectStoreOptions
        {
            Endpoint = o.S3.Endpoint,
            Region = o.S3.Region,
            Bucket = o.S3.Bucket,
            Prefix = o.S3.Prefix,
            AccessKey = o.S3.ResolveAccessKey(),
            SecretKey = o.S3.ResolveSecretKey(),
            ForcePathStyle = o.S3.ForcePathStyle,
            Metrics = metrics,
        });
    }

    /// <summary>
    /// The block cache under &lt;DataDirectory&gt;/cache in front of the bucket, over the block map in
    /// <paramref name="metadata"/> (open); recovers what a crash left dirty.
    /// <paramref name="background"/> false (<c>dittofs check</c>): no flusher, no sweep.
    /// </summary>
    internal static Task<CachedPayloadStore> OpenS3Async(DittoFsOptions o, string dataDirectory, IMetadataStore metadata, StorageMetrics? metrics, ILogger? logger, bool background = true, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(o.S3.Bucket)) throw new InvalidOperationException("PayloadStore S3 needs DittoFs:S3:Bucket");
        var objects = NewObjectStore(o, metrics);
        return CachedPayloadStore.OpenAsync(new BlockCacheOptions
        {
            Directory = string.IsNullOrEmpty(o.Cache.Directory) ? Path.Combine(dataDirectory, "cache") : o.Cache.Directory,
            SizeBytes = o.Cache.SizeBytes,
            BlockSize = o.Cache.BlockSize,
            FlushIdle = TimeSpan.FromSeconds(o.Cache.FlushIdleSeconds),
            UploadConcurrency = o.Cache.UploadConcurrency,
            DownloadConcurrency = o.Cache.DownloadConcurrency,
            ReadAheadBlocks = o.Cache.ReadAheadBlocks,
            PackSmallBlocks = o.Cache.PackSmallBlocks,
            SegmentBytes = o.Cache.SegmentMiB << 20,
            SegmentWait = TimeSpan.FromSeconds(o.Cache.SegmentWaitSeconds),
            MaxRetryDelay = TimeSpan.FromSeconds(o.Cache.MaxRetryDelaySeconds),
            DataJournalBytes = (long)o.DataJournalMiB << 20,
            Metrics = metrics,
            Logger = logger,
            UploadOnFlush = o.Durability.Equals("Bucket", StringComparison.OrdinalIgnoreCase),
            WaitMetadataShipped = ShipsMetadata(o) && metadata is FasterMetadataStore shipping ? (position, _) => shipping.WaitShippedAsync(position) : null,
            Background = background,
        }, objects, metadata, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_fileSystem is not null) await _fileSystem.DisposeAsync();
        _fileSystem = null;
        if (_metadataBucket is not null) await _metadataBucket.DisposeAsync(); // after the store's last shipping round
        _metadataBucket = null;
        _lock?.Dispose();
        _lock = null;
    }
}
