using System.ComponentModel.DataAnnotations;

namespace DittoFs.Server.Options;

/// <summary>The "DittoFs" configuration section (appsettings.json, DITTOFS__* environment variables, --DittoFs:Key=value).</summary>
public sealed class DittoFsOptions : IValidatableObject
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

    /// <summary>"Faster" (default, durable, embedded), "Postgres" (a database several servers share) or "Memory" (tests).</summary>
    public string MetadataStore { get; set; } = "Faster";

    /// <summary>The database, for MetadataStore = "Postgres".</summary>
    public PostgresOptions Postgres { get; set; } = new();

    /// <summary>"Local" (default: blocks on disk under DataDirectory), "S3" (block cache + bucket) or "Memory" (tests).</summary>
    public string PayloadStore { get; set; } = "Local";

    /// <summary>
    /// "Local" (default): COMMIT is durable on this instance's disk, uploads follow in the background.
    /// "Bucket" (PayloadStore = "S3"): COMMIT and FILE_SYNC return once the file's blocks (and, with
    /// metadata shipping, the metadata naming them) are in the bucket: survives losing the instance.
    /// </summary>
    [RegularExpression("(?i)^(Local|Bucket)$", ErrorMessage = "Durability must be Local or Bucket")]
    public string Durability { get; set; } = "Local";

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

    /// <summary>Open RPC connections, all addresses together; a connection over it is closed at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 4096;

    /// <summary>
    /// Open RPC connections from one remote address (a Linux client uses one per server, nconnect up to 16;
    /// many mounts behind one NAT address need more); a connection over it is closed at once.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>
    /// Reply bytes one connection may have built but not yet handed to its socket, counting calls in
    /// flight at their expected reply size: over it, that connection's requests are no longer read
    /// (backpressure) until its client takes replies. One call is always allowed.
    /// </summary>
    [Range(64 * 1024, 1L << 40)]
    public long MaxReplyBytesPerConnection { get; set; } = 16L << 20;

    /// <summary>The same, summed over every connection: over it, new calls wait until replies leave.</summary>
    [Range(64 * 1024, 1L << 40)]
    public long MaxReplyBytes { get; set; } = 512L << 20;

    /// <summary>A connection whose replies make no progress into its socket for this long (a client that does not read) is closed.</summary>
    [Range(0.1, 86400.0)]
    public double ReplyTimeoutSeconds { get; set; } = 30;

    /// <summary>A record begun but not received whole within this time closes the connection.</summary>
    [Range(0.1, 86400.0)]
    public double RecordTimeoutSeconds { get; set; } = 30;

    /// <summary>A connection with no call, no reply pending and no record begun for this long is closed (knfsd: 6 minutes; clients reconnect).</summary>
    [Range(0.1, 864000.0)]
    public double IdleTimeoutSeconds { get; set; } = 360;

    /// <summary>
    /// On SIGTERM, how long calls in flight may take to finish before their connections are cut; idle
    /// connections close at once. Docker's stop timeout (10 s) must leave room for the checkpoint after it.
    /// </summary>
    [Range(0.1, 3600.0)]
    public double ShutdownTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Bytes of large (128 KiB and over) record and reply buffers kept for reuse; buffers unused for
    /// <see cref="BufferTrimSeconds"/> are freed, and memory goes back to the system.
    /// </summary>
    [Range(0, 1L << 40)]
    public long BufferPoolBytes { get; set; } = 64L << 20;

    [Range(0.1, 3600.0)]
    public double BufferTrimSeconds { get; set; } = 10;

    public List<ExportOptions> Exports { get; set; } = [];

    /// <summary>NFSv4.1 settings (DittoFs:Nfs4:*).</summary>
    public Nfs4Options Nfs4 { get; set; } = new();

    /// <summary>NFSv3 locks: NLM and NSM settings (DittoFs:Nlm:*).</summary>
    public NlmOptions Nlm { get; set; } = new();

    /// <summary>The admin endpoints' token (DittoFs:Admin:*).</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>Limits that only make sense together (run after the range checks).</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxConnectionsPerAddress > MaxConnections)
        {
            yield return new ValidationResult($"MaxConnectionsPerAddress ({MaxConnectionsPerAddress}) exceeds MaxConnections ({MaxConnections})", [nameof(MaxConnectionsPerAddress)]);
        }
        if (MaxReplyBytesPerConnection > MaxReplyBytes)
        {
            yield return new ValidationResult($"MaxReplyBytesPerConnection ({MaxReplyBytesPerConnection}) exceeds MaxReplyBytes ({MaxReplyBytes})", [nameof(MaxReplyBytesPerConnection)]);
        }
        if (IdleTimeoutSeconds < RecordTimeoutSeconds)
        {
            yield return new ValidationResult($"IdleTimeoutSeconds ({IdleTimeoutSeconds}) is shorter than RecordTimeoutSeconds ({RecordTimeoutSeconds})", [nameof(IdleTimeoutSeconds)]);
        }
    }
}

/// <summary>
/// The "DittoFs:Metadata" section: the Faster metadata store's copy in the bucket (DittoFs:S3, under
/// &lt;Prefix&gt;meta/).
/// </summary>
public sealed class MetadataOptions
{
    /// <summary>
    /// Ship snapshots and the WAL to the bucket (DittoFs:S3), so a lost instance can be restored from it.
    /// Unset: on with PayloadStore S3 (the bucket is the truth), off otherwise.
    /// </summary>
    public bool? Ship { get; set; }

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

/// <summary>NFSv4.1: lease and grace periods, and the bounds of session state.</summary>
public sealed class Nfs4Options
{
    /// <summary>Lease time in seconds: a client that does not renew (SEQUENCE) for longer loses its state (or keeps it as a courtesy client, see <see cref="MaxCourtesyClients"/>).</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 90;

    /// <summary>Grace period after a restart in which clients reclaim opens and locks (ends early once every previous client is back).</summary>
    [Range(0, 3600)]
    public int GraceSeconds { get; set; } = 90;

    /// <summary>Sessions one client may hold at once; CREATE_SESSION beyond it answers NFS4ERR_NOSPC.</summary>
    [Range(1, 1024)]
    public int MaxSessionsPerClient { get; set; } = 16;

    /// <summary>The most slots (ca_maxrequests) a session gets.</summary>
    [Range(1, 1024)]
    public int MaxSlotsPerSession { get; set; } = 64;

    /// <summary>The largest reply a slot keeps for a retry (ca_maxresponsesize_cached is negotiated down to it).</summary>
    [Range(512, 1024 * 1024)]
    public int MaxCachedReplySize { get; set; } = 16 * 1024;

    /// <summary>
    /// Bytes of slot reply caches all sessions together may reserve (slots × cached size each).
    /// A session gets at most an eighth of what is left (fewer slots); with no room for one slot CREATE_SESSION answers NFS4ERR_DELAY.
    /// </summary>
    [Range(64L * 1024, long.MaxValue)]
    public long MaxCachedReplyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Client records kept at once; EXCHANGE_ID of a new client beyond it drops the oldest courtesy client, or answers NFS4ERR_DELAY.</summary>
    [Range(1, 1_000_000)]
    public int MaxClients { get; set; } = 4096;

    /// <summary>
    /// Clients past their lease that keep their opens and locks until another client's request conflicts
    /// (a courteous server, as knfsd); beyond it the longest silent ones lose their state. 0: none, a lease is final.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxCourtesyClients { get; set; } = 256;
    /// <summary>
    /// Hand out read and write delegations on OPEN to clients with a working back channel (recalled when another
    /// client, or an NFSv3 caller, conflicts). Off: no delegations (OPEN_DELEGATE_NONE); the back channel is still probed.
    /// </summary>
    public bool Delegations { get; set; } = true;
}

public enum SquashMode { None, Root, All }

/// <summary>One export: a volume with its own root, reached by its path.</summary>
public sealed class ExportOptions
{
    /// <summary>
    /// What the admin API, the CLI and the runtime exports file (exports.json) call this export; default:
    /// its path. A runtime change to an export replaces the configured export of the same name.
    /// </summary>
    public string? Name { get; set; }

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
