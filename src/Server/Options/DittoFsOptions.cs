using System.ComponentModel.DataAnnotations;

namespace DittoFs.Server.Options;

/// <summary>The "DittoFs" configuration section (appsettings.json, DITTOFS__* environment variables, --DittoFs:Key=value).</summary>
public sealed class DittoFsOptions
{
    public const string Section = "DittoFs";

    /// <summary>Address the RPC listeners bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>NFS port; MOUNT and the portmapper answer here too.</summary>
    [Range(1, 65535)]
    public int NfsPort { get; set; } = 2049;

    /// <summary>An extra port for MOUNT (clients that want mountport != port); 0 = none.</summary>
    [Range(0, 65535)]
    public int MountPort { get; set; } = 20048;

    /// <summary>A portmapper port (program 100000 v2 GETPORT); 0 = none. 111 needs root.</summary>
    [Range(0, 65535)]
    public int PortmapPort { get; set; }

    /// <summary>HTTP port for /healthz, /readyz and /metrics; 0 = none.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; } = 9464;

    /// <summary>Metadata and file blocks live here.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Free space kept on the data directory's disk (default 16 MiB): file data gets NOSPC below it,
    /// so metadata changes, and the deletes that free space, still have room; metadata changes stop
    /// at a quarter of it (deletes at a 32nd) before a write could be torn. 0 = no reserve.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long DiskReserveBytes { get; set; } = 16L << 20;

    /// <summary>"Faster" (default, durable) or "Memory" (tests).</summary>
    public string MetadataStore { get; set; } = "Faster";

    /// <summary>"Local" (default: blocks on disk under DataDirectory), "S3" (block cache + bucket) or "Memory" (tests).</summary>
    public string PayloadStore { get; set; } = "Local";

    /// <summary>The bucket, for PayloadStore = "S3".</summary>
    public S3Options S3 { get; set; } = new();

    /// <summary>Shipping the metadata to the bucket, and restoring it from there (DittoFs:Metadata:*).</summary>
    public MetadataOptions Metadata { get; set; } = new();

    /// <summary>The local block cache, for PayloadStore = "S3".</summary>
    public CacheOptions Cache { get; set; } = new();

    /// <summary>
    /// MiB of the data journal (preallocated under the data directory) that makes COMMIT of small
    /// files one fdatasync; 0 = fsync every block file in place.
    /// </summary>
    [Range(0, 4096)]
    public int DataJournalMiB { get; set; } = 64;

    /// <summary>Largest RPC record accepted; a bigger one closes the connection. 1 MiB of data + headers.</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxRecordSize { get; set; } = 1024 * 1024 + 64 * 1024;

    /// <summary>Largest READ/WRITE transfer offered in FSINFO.</summary>
    [Range(4096, 1024 * 1024)]
    public int MaxTransferSize { get; set; } = 1024 * 1024;

    [Range(1, 4096)]
    public int MaxConcurrentCallsPerConnection { get; set; } = 64;

    [Range(1, 65536)]
    public int MaxConcurrentCalls { get; set; } = 1024;

    public List<ExportOptions> Exports { get; set; } = [];

    /// <summary>NFSv4.1 settings (DittoFs:Nfs4:*).</summary>
    public Nfs4Options Nfs4 { get; set; } = new();
}

/// <summary>
/// The "DittoFs:Metadata" section: the Faster metadata store's copy in the bucket (DittoFs:S3, under
/// &lt;Prefix&gt;meta/).
/// </summary>
public sealed class MetadataOptions
{
    /// <summary>Ship snapshots and the WAL to the bucket (DittoFs:S3), so a lost instance can be restored from it.</summary>
    public bool Ship { get; set; }

    /// <summary>Longest time a committed change waits before it is shipped (the lag is about this plus one PUT).</summary>
    [Range(10, 600_000)]
    public int ShipIntervalMs { get; set; } = 1000;

    /// <summary>A new snapshot after this much shipped WAL (MiB), so a restore replays little.</summary>
    [Range(1, 65536)]
    public int SnapshotWalMiB { get; set; } = 64;

    /// <summary>A new snapshot at least this often (minutes) while anything changes; 0 = only by size.</summary>
    [Range(0, 525_600)]
    public int SnapshotIntervalMinutes { get; set; } = 60;

    /// <summary>
    /// At start, if the data directory has no metadata, rebuild it from the bucket (as
    /// <c>dittofs restore</c> does); a bucket without shipped metadata starts empty.
    /// </summary>
    public bool RestoreFromBucket { get; set; }
}

/// <summary>NFSv4.1: lease and grace periods.</summary>
public sealed class Nfs4Options
{
    /// <summary>Lease time in seconds: a client that does not renew (SEQUENCE) for longer loses its state.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 90;

    /// <summary>Grace period after a restart in which clients reclaim opens and locks (ends early once every previous client is back).</summary>
    [Range(0, 3600)]
    public int GraceSeconds { get; set; } = 90;
}

public enum SquashMode { None, Root, All }

/// <summary>One export: a volume with its own root, reached by its path.</summary>
public sealed class ExportOptions
{
    /// <summary>The path clients mount, e.g. "/export".</summary>
    [Required]
    public string Path { get; set; } = "/export";

    public bool ReadOnly { get; set; }

    /// <summary>Client networks allowed (CIDR, e.g. "10.0.0.0/8", "127.0.0.1/32"); empty = everyone.</summary>
    public List<string> AllowedClients { get; set; } = [];

    /// <summary>Root squash by default, as knfsd and ganesha do.</summary>
    public SquashMode Squash { get; set; } = SquashMode.Root;

    public uint AnonymousUid { get; set; } = 65534;

    public uint AnonymousGid { get; set; } = 65534;

    /// <summary>Accept AUTH_NONE calls (as the anonymous user); off: AUTH_SYS only.</summary>
    public bool AllowAuthNone { get; set; }
}
