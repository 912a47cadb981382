namespace DittoFs.Storage.Payload.S3;

/// <summary>Where an <see cref="S3ObjectStore"/> keeps its objects: any S3-compatible service.</summary>
public sealed record S3ObjectStoreOptions
{
    /// <summary>Service URL, e.g. https://s3.fr-par.scw.cloud or http://127.0.0.1:9000; empty = AWS for <see cref="Region"/>.</summary>
    public string Endpoint { get; init; } = "";

    public string Region { get; init; } = "us-east-1";

    public required string Bucket { get; init; }

    /// <summary>Prepended to every key (e.g. "dittofs/"); may be empty.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Static credentials; empty = the SDK's default chain (environment, profile, instance role).</summary>
    public string AccessKey { get; init; } = "";

    public string SecretKey { get; init; } = "";

    /// <summary>bucket in the path (http://host/bucket/key) instead of the host name; most S3-compatible stores want true.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Per-request timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries inside the SDK for one call (the flusher retries further with backoff).</summary>
    public int MaxErrorRetry { get; init; } = 2;

    /// <summary>Where request latency and errors are measured (by operation); null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }
}
