using System.ComponentModel.DataAnnotations;

namespace DittoFs.Server.Options;

/// <summary>The "DittoFs:S3" section: the bucket behind PayloadStore = "S3" (any S3-compatible service).</summary>
public sealed class S3Options
{
    /// <summary>Service URL (e.g. https://s3.fr-par.scw.cloud); empty = AWS for the region.</summary>
    public string Endpoint { get; set; } = "";

    public string Region { get; set; } = "us-east-1";

    public string Bucket { get; set; } = "";

    /// <summary>Prepended to every object key, e.g. "dittofs/".</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Empty = the SDK's default credential chain (environment, profile, instance role).</summary>
    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>A file holding the access key (a Docker/Kubernetes secret, e.g. /run/secrets/s3_access_key); used when AccessKey is empty.</summary>
    public string AccessKeyFile { get; set; } = "";

    /// <summary>A file holding the secret key; used when SecretKey is empty.</summary>
    public string SecretKeyFile { get; set; } = "";

    /// <summary>AccessKey, else AccessKeyFile's content (trimmed), else empty (the SDK's default chain).</summary>
    public string ResolveAccessKey() => Resolve(AccessKey, AccessKeyFile);

    /// <summary>SecretKey, else SecretKeyFile's content (trimmed), else empty.</summary>
    public string ResolveSecretKey() => Resolve(SecretKey, SecretKeyFile);

    private static string Resolve(string value, string file) =>
        !string.IsNullOrWhiteSpace(value) ? value.Trim() : string.IsNullOrWhiteSpace(file) ? "" : File.ReadAllText(file).Trim();

    public bool ForcePathStyle { get; set; } = true;
}

/// <summary>The "DittoFs:Cache" section: the local block cache in front of S3.</summary>
public sealed class CacheOptions
{
    /// <summary>Disk tier and block map; empty = &lt;DataDirectory&gt;/cache.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Disk-tier size limit (default 4 GiB).</summary>
    [Range(1L << 20, long.MaxValue)]
    public long SizeBytes { get; set; } = 4L << 30;

    /// <summary>Bytes per block and per object (default 4 MiB).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int BlockSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Upload a dirty block not written for this many seconds.</summary>
    [Range(0.0, 86400.0)]
    public double FlushIdleSeconds { get; set; } = 5;

    [Range(1, 256)]
    public int UploadConcurrency { get; set; } = 8;

    [Range(1, 256)]
    public int DownloadConcurrency { get; set; } = 8;

    /// <summary>Blocks fetched ahead of a sequential reader: 8 x 4 MiB covers 30 ms of S3 latency up to ~1 GB/s per stream.</summary>
    [Range(0, 64)]
    public int ReadAheadBlocks { get; set; } = 8;

    /// <summary>Upload blocks smaller than a block (small files, tails) many to a PUT, as segment objects (false: one object per block).</summary>
    public bool PackSmallBlocks { get; set; } = true;

    /// <summary>A segment is uploaded once it holds this many MiB, or its oldest block has waited <see cref="SegmentWaitSeconds"/>.</summary>
    [Range(1, 1024)]
    public int SegmentMiB { get; set; } = 1;

    /// <summary>The batch delay: a COMMITted small file is packed once untouched this long, and its segment goes this long after.</summary>
    [Range(0.0, 3600.0)]
    public double SegmentWaitSeconds { get; set; } = 0.02;

    /// <summary>Longest pause between upload retries while S3 fails.</summary>
    [Range(0.1, 3600.0)]
    public double MaxRetryDelaySeconds { get; set; } = 5;
}
